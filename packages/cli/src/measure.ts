import type { OffsetEstimate, SampleOutcome, TimeEvidence } from "@skewguard/diagnosis";
import {
  type EstimatorState,
  addSample,
  endpointKey,
  parseHttpDate,
} from "@skewguard/diagnosis/adapter";
import type { CliIo } from "./io.js";

/**
 * Measures the offset to an endpoint (server minus local) from the `Date` headers of a few HEAD
 * requests, with the core's interval estimator. Requests are timed HTP-style: each one is sent
 * so that, by the middle of the current bounds, the server's second ticks over as it arrives;
 * whichever second the server then reports halves the bounds. Eight requests take a one-second
 * `Date` header to a few milliseconds plus the round trip.
 */

export interface MeasureOptions {
  /** Requests to send. */
  count: number;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Called after each request, for a progress line. */
  onProgress?: (done: number, total: number) => void;
}

/** One HEAD request, as the report shows it. */
export interface Attempt {
  sentAt: number;
  receivedAt: number;
  status?: number;
  /** The `Date` header as received. */
  date?: string;
  outcome: SampleOutcome | "failed";
  error?: string;
}

export interface Measurement {
  /** What was requested: origin and path, never a query (it may hold a signature). */
  target: string;
  /** `host:port`, as the offset store keys it. */
  host: string;
  estimate?: OffsetEstimate;
  attempts: Attempt[];
}

/** Requests after a failure when nothing was learned: a dead endpoint should not cost N timeouts. */
const MAX_FAILURES_WITHOUT_SAMPLE = 2;

export async function measureOffset(
  target: URL,
  io: Pick<CliIo, "fetch" | "clock" | "sleep">,
  options: MeasureOptions,
): Promise<Measurement> {
  const url = `${target.origin}${target.pathname}`;
  let state: EstimatorState = {};
  const attempts: Attempt[] = [];
  let roundTripMs = 0;
  for (let i = 0; i < options.count; i++) {
    if (state.estimate) await io.sleep(delayToTick(state.estimate, io.clock.now(), roundTripMs));
    const { attempt, evidence, cached } = await headOnce(url, io, options.timeoutMs);
    if (attempt.outcome !== "failed") {
      const result = addSample(
        state,
        { sentAt: attempt.sentAt, receivedAt: attempt.receivedAt, evidence, cached },
        io.clock.now(),
      );
      state = result.state;
      attempt.outcome = result.outcome;
      roundTripMs = attempt.receivedAt - attempt.sentAt;
    }
    attempts.push(attempt);
    options.onProgress?.(i + 1, options.count);
    // A name that does not resolve will not on the next try either.
    if (attempt.error !== undefined && isUnresolved(attempt.error)) break;
    const failures = attempts.filter((a) => a.outcome === "failed").length;
    if (!state.estimate && failures >= MAX_FAILURES_WITHOUT_SAMPLE) break;
  }
  const measurement: Measurement = {
    target: url,
    host: endpointKey(target) ?? target.host,
    attempts,
  };
  if (state.estimate) measurement.estimate = state.estimate;
  return measurement;
}

interface HeadResult {
  attempt: Attempt;
  evidence: TimeEvidence[];
  cached: boolean;
}

async function headOnce(
  url: string,
  io: Pick<CliIo, "fetch" | "clock">,
  timeoutMs: number,
): Promise<HeadResult> {
  const sentAt = io.clock.now();
  try {
    const response = await io.fetch(url, {
      method: "HEAD",
      redirect: "manual",
      // A cache in between would answer with an old Date; ask it not to.
      headers: { "cache-control": "no-cache" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const receivedAt = io.clock.now();
    await response.body?.cancel();
    const date = response.headers.get("date") ?? undefined;
    const serverTimeMs = parseHttpDate(date);
    const attempt: Attempt = { sentAt, receivedAt, status: response.status, outcome: "accepted" };
    if (date !== undefined) attempt.date = date;
    const evidence: TimeEvidence[] =
      serverTimeMs === undefined
        ? []
        : [{ source: "date-header", serverTimeMs, resolutionMs: 1000, fromBody: false }];
    return { attempt, evidence, cached: response.headers.has("age") };
  } catch (error) {
    const attempt: Attempt = {
      sentAt,
      receivedAt: io.clock.now(),
      outcome: "failed",
      error: describeFetchError(error),
    };
    return { attempt, evidence: [], cached: false };
  }
}

/**
 * How long to wait so that the request reaches the server as its clock, by the midpoint of the
 * bounds, turns a whole second: the `Date` it stamps then tells on which side of the midpoint the
 * true offset lies.
 */
export function delayToTick(
  estimate: OffsetEstimate,
  localNow: number,
  roundTripMs: number,
): number {
  const midpoint = (estimate.lowMs + estimate.highMs) / 2;
  const serverAtArrival = localNow + midpoint + roundTripMs / 2;
  const intoSecond = ((serverAtArrival % 1000) + 1000) % 1000;
  return intoSecond === 0 ? 0 : Math.ceil(1000 - intoSecond);
}

/** undici hides the reason (ECONNREFUSED, ENOTFOUND) in `cause`; that is the useful part. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "timed out";
  const cause = error.cause;
  if (cause instanceof Error) {
    const { code, hostname } = cause as Error & { code?: unknown; hostname?: unknown };
    if (typeof code === "string" && typeof hostname === "string" && code in UNRESOLVED) {
      return `${hostname} ${UNRESOLVED[code]} (${code})`;
    }
    return typeof code === "string" ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}

/**
 * How `getaddrinfo` says a name did not resolve: it does not exist (`ENOTFOUND`, what a name
 * under the reserved `.invalid` always gets), or DNS did not answer (`EAI_AGAIN`).
 */
const UNRESOLVED: Readonly<Record<string, string>> = {
  ENOTFOUND: "does not resolve",
  EAI_AGAIN: "could not be resolved: DNS did not answer",
};

/** Whether an attempt's error says the host name did not resolve. */
export function isUnresolved(error: string): boolean {
  return Object.keys(UNRESOLVED).some((code) => error.endsWith(`(${code})`));
}
