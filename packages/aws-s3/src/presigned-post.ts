import type { S3Client } from "@aws-sdk/client-s3";
import {
  type PresignedPost,
  type PresignedPostOptions,
  createPresignedPost as sdkCreatePresignedPost,
} from "@aws-sdk/s3-presigned-post";
import type { RecoveryOptions } from "@skewguard/diagnosis";
import { endpointKey, SkewRecovery } from "@skewguard/diagnosis/engine";
import { recoveryFor } from "@skewguard/aws/adapter";

export type { PresignedPost, PresignedPostOptions };

/** `probe` and `probeTimeoutMs` for this policy (see `RecoveryOptions`). */
export type PresignedPostSigningOptions = Pick<RecoveryOptions, "probe" | "probeTimeoutMs">;

let fallback: SkewRecovery | undefined;

/** Without a plugin on the client: an engine on the process-wide offset store. */
function fallbackRecovery(): SkewRecovery {
  fallback ??= new SkewRecovery("s3");
  return fallback;
}

/**
 * Drop-in for `createPresignedPost` of `@aws-sdk/s3-presigned-post` (same parameters, same
 * `{ url, fields }`): the policy is signed at the server's time for the bucket's endpoint, so
 * its `x-amz-date`, credential scope date and `expiration` agree with the server's clock and
 * `Expires: 600` means 10 minutes by that clock. With nothing learned of the endpoint yet, its
 * clock is read first from one unauthenticated `HEAD` (`probe`, `probeTimeoutMs`); if that
 * teaches nothing, the policy is the SDK's own, on the client's clock. The client's plugin
 * supplies the engine and its offset store; without one the process-wide store is used. The
 * SDK signs it: the client is given to it with a copy of its config whose `systemClockOffset`
 * is skewguard's, and is never changed.
 *
 * @example
 * ```ts
 * s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config));
 * const { url, fields } = await createPresignedPost(s3, {
 *   Bucket: "uploads",
 *   Key: "photos/${filename}",
 *   Conditions: [["content-length-range", 0, 10_000_000]],
 *   Expires: 600,
 * });
 * // In the browser: every field, then the file, last.
 * const form = new FormData();
 * for (const [name, value] of Object.entries(fields)) form.append(name, value);
 * form.append("file", file);
 * await fetch(url, { method: "POST", body: form });
 * ```
 */
export async function createPresignedPost(
  client: S3Client,
  params: PresignedPostOptions,
  options: PresignedPostSigningOptions = {},
): Promise<PresignedPost> {
  const recovery = recoveryFor(client.config) ?? fallbackRecovery();
  const { probe, probeTimeoutMs } = options;
  // The endpoint (and so the offset to use) is only known once the SDK has resolved it: the
  // SDK's own policy names it, and is the answer when nothing is known of the server's clock.
  // `@aws-sdk/s3-presigned-post` types the client with its own copy of `@aws-sdk/client-s3`.
  const draft = await sdkCreatePresignedPost(client as never, params);
  const url = new URL(draft.url);
  const host = endpointKey(url, params.Bucket) ?? url.host;
  const offsetMs = await recovery.serverOffsetMs({
    url: url.origin,
    host,
    operation: "PresignProbe",
    ...(probe === undefined ? {} : { probe }),
    ...(probeTimeoutMs === undefined ? {} : { probeTimeoutMs }),
  });
  if (!recovery.knows(host)) return draft;
  // The SDK signs at `Date.now() + config.systemClockOffset`: express the server's time by
  // skewguard's (possibly injected) clock in those terms, on a copy of the config.
  const config = {
    ...client.config,
    systemClockOffset: recovery.clock.now() + offsetMs - Date.now(),
  };
  const shadow = Object.create(client, { config: { value: config } }) as S3Client;
  return sdkCreatePresignedPost(shadow as never, params);
}
