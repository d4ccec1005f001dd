import type { GcsSkewContext } from "./context.js";
import { hostOf, toHeaderMap } from "./headers.js";

/**
 * The offset to sign for `endpoint` with: what is known, else what one `HEAD` to the
 * endpoint's root shows in its `Date` (any status will do: every GCS answer carries one),
 * else 0, the local clock, as when the endpoint cannot be reached. Concurrent callers for a
 * host share one probe.
 */
export async function serverOffsetMs(context: GcsSkewContext, endpoint: string): Promise<number> {
  const { recovery } = context;
  const host = hostOf(endpoint);
  if (host === undefined) return 0;
  const known = recovery.offsets.get(host);
  if (known || !context.probe) return known?.offsetMs ?? 0;
  let pending = context.probes.get(host);
  if (!pending) {
    pending = probe(context, endpoint, host).finally(() => context.probes.delete(host));
    context.probes.set(host, pending);
  }
  await pending;
  return recovery.offsetMs(host);
}

async function probe(context: GcsSkewContext, endpoint: string, host: string): Promise<void> {
  const { recovery } = context;
  const sentAt = recovery.clock.now();
  let response: Response;
  try {
    response = await fetch(new URL("/", endpoint), {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(context.probeTimeoutMs),
    });
  } catch {
    return;
  }
  recovery.sample({
    provider: "gcs",
    host,
    operation: "probe",
    sentAt,
    receivedAt: recovery.clock.now(),
    status: response.status,
    headers: toHeaderMap(response.headers),
  });
}
