import type { GcsSkewContext } from "./context.js";
import { hostOf } from "./headers.js";

/**
 * The offset to sign for `endpoint` with: what is known, else what one `HEAD` to the
 * endpoint's root shows in its `Date` (any status will do: every GCS answer carries one),
 * else 0, the local clock, as when the endpoint cannot be reached. Concurrent callers for a
 * host share one probe (`SkewRecovery.probe`).
 */
export async function serverOffsetMs(context: GcsSkewContext, endpoint: string): Promise<number> {
  const { recovery } = context;
  const host = hostOf(endpoint);
  if (host === undefined) return 0;
  if (context.probe) {
    await recovery.probe(endpoint, host, { operation: "probe", timeoutMs: context.probeTimeoutMs });
  }
  return recovery.offsetMs(host);
}
