import type { RecoveryOptions } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import type { Pluggable } from "@smithy/types";
import { SIGNED_REQUEST_CAPTURE_NAME, SKEW_RECOVERY_MIDDLEWARE_NAME } from "./constants.js";
import { skewRecoveryMiddleware } from "./middleware.js";
import type { ClockConfig } from "./sdk-clock.js";
import { signedRequestCapture } from "./signed-request.js";

/** Options of `getSkewRecoveryPlugin`: the common skewguard options. */
export type SkewRecoveryPluginOptions = RecoveryOptions;

const recoveries = new WeakMap<object, SkewRecovery>();

/**
 * The plugin. It places one middleware between the SDK's retry and signing middleware, which
 * hands each attempt to skewguard's engine (signs on the server's clock, resends a failure the
 * clock caused at once, attaches the diagnosis of any other signature failure: `diagnosisOf`),
 * and one after signing that notes what was signed (for the diagnosis; never the signature).
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
export function getSkewRecoveryPlugin<Input extends object, Output extends object>(
  config: ClockConfig,
  options: SkewRecoveryPluginOptions = {},
): Pluggable<Input, Output> {
  const recovery = new SkewRecovery("s3", options);
  recoveries.set(config, recovery);
  return {
    applyToStack: (stack) => {
      stack.addRelativeTo(skewRecoveryMiddleware<Input, Output>(config, recovery), {
        name: SKEW_RECOVERY_MIDDLEWARE_NAME,
        relation: "before",
        toMiddleware: "httpSigningMiddleware",
        override: true,
      });
      stack.addRelativeTo(signedRequestCapture<Input, Output>(), {
        name: SIGNED_REQUEST_CAPTURE_NAME,
        relation: "after",
        toMiddleware: "httpSigningMiddleware",
        override: true,
      });
    },
  };
}

/** The engine a plugin registered for this client config, if any (the presigner uses it). */
export function recoveryFor(config: object): SkewRecovery | undefined {
  return recoveries.get(config);
}
