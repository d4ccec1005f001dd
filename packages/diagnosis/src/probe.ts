import type { Observation, OffsetEstimate, Provider } from "./types.js";

/** What a probe needs of the engine: its clock and where samples go. */
export interface ProbeTarget {
  readonly provider: Provider;
  readonly clock: { now(): number };
  sample(obs: Observation): OffsetEstimate | undefined;
}

export interface ProbeOptions {
  /** Names the probe in events. @default "ClockProbe" */
  operation?: string;
  /**
   * A probe that takes longer is abandoned; the caller signs on what is known.
   * @default 3_000
   */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/**
 * Reads an endpoint's clock with one unauthenticated `HEAD` of its root. Whatever the status
 * (403, 404, 400), the answer carries the server's `Date`, and nothing secret is sent: this is
 * how a signed URL or SAS gets the server's time before anything was learned from requests.
 * Never throws: an unreachable or slow endpoint leaves what is known as it was.
 */
export async function probeServerClock(
  target: ProbeTarget,
  url: string,
  host: string,
  options: ProbeOptions = {},
): Promise<OffsetEstimate | undefined> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sentAt = target.clock.now();
  let response: Response;
  try {
    response = await doFetch(new URL("/", url), {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
    });
  } catch {
    return undefined;
  }
  const receivedAt = target.clock.now();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return target.sample({
    provider: target.provider,
    host,
    operation: options.operation ?? "ClockProbe",
    sentAt,
    receivedAt,
    status: response.status,
    headers,
  });
}
