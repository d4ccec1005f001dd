import { getSignedUrl as sdkGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import { SkewRecovery } from "@skewguard/diagnosis";
import type { MetadataBearer } from "@smithy/types";
import { S3_DEFAULTS } from "./constants.js";
import { endpointKey } from "./observation.js";
import { recoveryFor } from "./plugin.js";

type SdkPresignOptions = NonNullable<Parameters<typeof sdkGetSignedUrl>[2]>;

/** The presigner's own options plus what skewguard adds. */
export interface SignedUrlOptions extends SdkPresignOptions {
  /**
   * With no offset learned yet for the URL's endpoint, first measure the endpoint's clock with
   * one unauthenticated HEAD request to its root (any answer, even a 403, carries `Date`).
   * `false` signs on what is known, the local clock if nothing is.
   * @default true
   */
  probe?: boolean;
  /**
   * How long the probe may take before the URL is signed on what is known.
   * @default 3000
   */
  probeTimeoutMs?: number;
}

let fallback: SkewRecovery | undefined;

/** Without a plugin on the client: an engine on the process-wide offset store. */
function fallbackRecovery(): SkewRecovery {
  fallback ??= new SkewRecovery("s3");
  return fallback;
}
const probes = new WeakMap<SkewRecovery, Map<string, Promise<void>>>();

/**
 * Drop-in for `getSignedUrl` of `@aws-sdk/s3-request-presigner`: the URL is signed at the
 * server's time for its endpoint, so `expiresIn: 900` means 15 minutes by the server's clock.
 * A `signingDate` the caller gives is read on the local clock and moved by the same offset.
 * The client's plugin (if any) supplies the engine and its offset store; without one the
 * process-wide store is used.
 */
export async function getSignedUrl<
  InputTypesUnion extends object,
  InputType extends InputTypesUnion,
  OutputType extends MetadataBearer = MetadataBearer,
>(
  client: Parameters<typeof sdkGetSignedUrl<InputTypesUnion, InputType, OutputType>>[0],
  command: Parameters<typeof sdkGetSignedUrl<InputTypesUnion, InputType, OutputType>>[1],
  options: SignedUrlOptions = {},
): Promise<string> {
  const { probe = true, probeTimeoutMs = S3_DEFAULTS.probeTimeoutMs, ...sdkOptions } = options;
  const recovery = recoveryFor(client.config) ?? fallbackRecovery();
  const { signingDate } = sdkOptions;
  const localSigningTime =
    signingDate === undefined ? recovery.clock.now() : new Date(signingDate).getTime();
  const sign = (offsetMs: number) =>
    sdkGetSignedUrl(client, command, {
      ...sdkOptions,
      signingDate: new Date(localSigningTime + offsetMs),
    });
  // The endpoint (and so the offset to use) is only known once the SDK has resolved it: the
  // first signature names it, and is the answer when the offset is zero.
  const draft = await sign(0);
  const url = new URL(draft);
  const bucket = (command.input as { Bucket?: unknown }).Bucket;
  const host = endpointKey(url.hostname, url.port, bucket, url.pathname);
  if (probe && recovery.offsets.get(host) === undefined) {
    await probeOnce(recovery, url.origin, host, probeTimeoutMs);
  }
  const offsetMs = recovery.offsetMs(host);
  return offsetMs === 0 ? draft : sign(offsetMs);
}

/** Concurrent signers of one endpoint (and one offset store) share one probe. */
function probeOnce(
  recovery: SkewRecovery,
  origin: string,
  host: string,
  timeoutMs: number,
): Promise<void> {
  const inFlight = probes.get(recovery) ?? new Map<string, Promise<void>>();
  probes.set(recovery, inFlight);
  let probe = inFlight.get(host);
  if (!probe) {
    probe = probeClock(recovery, origin, host, timeoutMs).finally(() => inFlight.delete(host));
    inFlight.set(host, probe);
  }
  return probe;
}

/** One HEAD to the endpoint's root: any answer carries the server's `Date`. */
async function probeClock(
  recovery: SkewRecovery,
  origin: string,
  host: string,
  timeoutMs: number,
): Promise<void> {
  const sentAt = recovery.clock.now();
  try {
    const response = await fetch(origin, {
      method: "HEAD",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const receivedAt = recovery.clock.now();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    recovery.sample({
      provider: "s3",
      host,
      operation: "PresignProbe",
      sentAt,
      receivedAt,
      status: response.status,
      headers,
    });
  } catch {
    // An unreachable endpoint leaves the URL signed on what is known: the caller still gets a
    // URL, as with the SDK's presigner, which never makes a request.
  }
}
