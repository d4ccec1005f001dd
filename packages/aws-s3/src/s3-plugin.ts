import type { ClockConfig, SkewRecoveryPlugin, SkewRecoveryPluginOptions } from "@skewguard/aws";
import { type EndpointOf, skewRecoveryPlugin } from "@skewguard/aws/adapter";
import { endpointKey, SkewRecovery } from "@skewguard/diagnosis/engine";

/**
 * S3's offset key: a virtual-hosted bucket's name is cut off the host, so every bucket behind
 * one endpoint shares what was learned about its clock.
 */
const s3Endpoint: EndpointOf = (request, input) =>
  endpointKey(request, (input as { Bucket?: unknown }).Bucket);

/**
 * The plugin. It places one middleware between the SDK's retry and signing middleware, which
 * hands each attempt to skewguard's engine (signs on the server's clock, resends a failure the
 * clock caused at once, attaches the diagnosis of any other signature failure: `diagnosisOf`),
 * and one after signing that notes what was signed (for the diagnosis; never the signature).
 * It is `@skewguard/aws`'s plugin with S3's endpoint key (every bucket of an endpoint shares
 * one clock) and events that name the provider `s3`; `getSignedUrl` reads its engine.
 * Options are validated here: a wrong value throws `SkewguardError` `SKEWGUARD_INVALID_OPTION`.
 * Defaults: see `RecoveryOptions` (`replayBufferBytes` 8 MiB, `possibleSkewThresholdMs` 60 s,
 * `probe` true, `probeTimeoutMs` 3 s, the process-wide offset store).
 *
 * @example
 * ```ts
 * const s3 = new S3Client({ region: "us-east-1" });
 * s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent: (e) => log.info(e) }));
 * try {
 *   await s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
 * } catch (error) {
 *   console.error(diagnosisOf(error)?.summary);
 *   throw error;
 * }
 * ```
 */
export function getSkewRecoveryPlugin(
  config: ClockConfig,
  options: SkewRecoveryPluginOptions = {},
): SkewRecoveryPlugin {
  return skewRecoveryPlugin(config, new SkewRecovery("s3", options), s3Endpoint);
}
