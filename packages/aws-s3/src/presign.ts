import type { S3Client, ServiceInputTypes } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { RecoveryOptions } from "@skewguard/diagnosis";
import { endpointKey, SkewRecovery } from "@skewguard/diagnosis/engine";
import { recoveryFor } from "@skewguard/aws/adapter";

type SdkPresignOptions = NonNullable<Parameters<typeof sdkGetSignedUrl>[2]>;

/**
 * The presigner's own options, plus the plugin's `probe` and `probeTimeoutMs` for this URL
 * (see `RecoveryOptions`).
 */
export type SignedUrlOptions = SdkPresignOptions &
  Pick<RecoveryOptions, "probe" | "probeTimeoutMs">;

/**
 * An S3 command (`new GetObjectCommand(...)`, `new PutObjectCommand(...)`, ...) of the client's
 * `@aws-sdk/client-s3`. Typed by its shape, not with the presigner's `Command`: that comes from
 * the presigner's own copy of `@smithy/types`, which need not be the one the client brings.
 */
export interface S3Command {
  readonly input: ServiceInputTypes;
  resolveMiddleware(...args: never[]): unknown;
}

let fallback: SkewRecovery | undefined;

/** Without a plugin on the client: an engine on the process-wide offset store. */
function fallbackRecovery(): SkewRecovery {
  fallback ??= new SkewRecovery("s3");
  return fallback;
}

/**
 * Drop-in for `getSignedUrl` of `@aws-sdk/s3-request-presigner`: the URL is signed at the
 * server's time for its endpoint, so `expiresIn: 900` means 15 minutes by the server's clock.
 * A `signingDate` the caller gives is read on the local clock and moved by the same offset.
 * With nothing learned of the endpoint yet, its clock is read first from one unauthenticated
 * `HEAD` (`probe`, `probeTimeoutMs`; an endpoint whose probe taught nothing is not probed again
 * for a minute). The client's plugin supplies the
 * engine and its offset store; without one the process-wide store is used.
 *
 * @example
 * ```ts
 * s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config));
 * const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "k" }), {
 *   expiresIn: 900,
 * });
 * ```
 */
export async function getSignedUrl(
  client: S3Client,
  command: S3Command,
  options: SignedUrlOptions = {},
): Promise<string> {
  const recovery = recoveryFor(client.config) ?? fallbackRecovery();
  const { probe, probeTimeoutMs, ...sdkOptions } = options;
  const { signingDate } = sdkOptions;
  const localSigningTime =
    signingDate === undefined ? recovery.clock.now() : new Date(signingDate).getTime();
  // The presigner types both with its own `@smithy/types`; they are the caller's S3 client and
  // command, whichever copy describes them.
  const sign = (offsetMs: number) =>
    sdkGetSignedUrl(client as never, command as never, {
      ...sdkOptions,
      signingDate: new Date(localSigningTime + offsetMs),
    });
  // The endpoint (and so the offset to use) is only known once the SDK has resolved it: the
  // first signature names it, and is the answer when the offset is zero.
  const draft = await sign(0);
  const url = new URL(draft);
  const bucket = (command.input as { Bucket?: unknown }).Bucket;
  const host = endpointKey(url, bucket) ?? url.host;
  const offsetMs = await recovery.serverOffsetMs({
    url: url.origin,
    host,
    operation: "PresignProbe",
    ...(probe === undefined ? {} : { probe }),
    ...(probeTimeoutMs === undefined ? {} : { probeTimeoutMs }),
  });
  return offsetMs === 0 ? draft : sign(offsetMs);
}
