import { RELEASE_TIME_MS, isPlausibleLocalTime } from "./clock.js";
import type { OffsetEstimate, SampleOutcome, TimeEvidence } from "./types.js";

/**
 * The offset estimator for one endpoint: pure functions over a plain state object, so the
 * offset store can hold it and tests can drive it sample by sample.
 *
 * Offsets are server minus local, in ms. Every sample bounds the offset: the server stamped
 * its time somewhere between our send and our receive, and truncated it to its resolution.
 * Intersecting the bounds of successive samples (as HTP does) narrows them below the `Date`
 * header's one-second resolution; bounds that stop overlapping mean one of the clocks stepped.
 */

/** One response, as timed on the local clock. */
export interface EstimatorSample {
  /** Local clock ms just before the request left. */
  sentAt: number;
  /** Local clock ms when the response headers arrived. */
  receivedAt: number;
  /** Every reading of the server's clock the response carried. */
  evidence: TimeEvidence[];
  /**
   * The response carried `Age`: a cache may have served it, so its `Date` header can be
   * arbitrarily old. Body evidence (an error's `<ServerTime>`) is written by the server for
   * this request and stays usable.
   */
  cached?: boolean;
}

export interface EstimatorOptions {
  /**
   * Samples whose round trip is longer are ignored: their bounds are too wide to help and a
   * slow path is likely a stalled connection or a suspended process.
   * @default 900_000 (15 minutes)
   */
  maxRoundTripMs?: number;
  /**
   * The largest correction a valid local clock accepts. A sample implying more is treated as a
   * lying server (one `Date: ... 2099` must not move the clock by decades) unless the local
   * clock itself reads earlier than the release date.
   * @default 86_400_000 (24 hours)
   */
  maxCorrectionMs?: number;
  /**
   * How fast, in parts per million, the local clock may drift from the server's between
   * samples. The learned bounds widen by this rate as they age, so slow drift is tracked
   * instead of being mistaken for a step.
   * @default 100
   */
  maxDriftPpm?: number;
  /**
   * How far apart two readings in one response may lie and still count as agreeing
   * (servers stamp the body and the headers at slightly different instants and round them).
   * @default 2_000
   */
  disagreementSlackMs?: number;
}

/** @see EstimatorOptions.maxRoundTripMs */
export const DEFAULT_MAX_ROUND_TRIP_MS = 15 * 60_000;
/** @see EstimatorOptions.maxCorrectionMs */
export const DEFAULT_MAX_CORRECTION_MS = 24 * 3_600_000;
/** @see EstimatorOptions.maxDriftPpm */
export const DEFAULT_MAX_DRIFT_PPM = 100;
/** @see EstimatorOptions.disagreementSlackMs */
export const DEFAULT_DISAGREEMENT_SLACK_MS = 2_000;

/** Closed bounds on the offset (server minus local), ms. */
export interface OffsetInterval {
  lowMs: number;
  highMs: number;
}

/** A sample that contradicted the estimate, held until another sample confirms it. */
export interface PendingStep extends OffsetInterval {
  /** Local clock ms when it was seen. */
  at: number;
}

export interface EstimatorState {
  estimate?: OffsetEstimate;
  pending?: PendingStep;
  /**
   * The estimate rests on exact body evidence (an error's `<ServerTime>` or `Time:`). Header
   * readings alone then cannot step it: a front end that restamps `Date` on successes would
   * otherwise drag the offset away after every corrected error, costing a resend each time.
   */
  fromBody?: boolean;
}

export interface SampleResult {
  state: EstimatorState;
  outcome: SampleOutcome;
  /** The bounds this sample gave, when its evidence was trusted. */
  interval?: OffsetInterval;
}

/** What a single response says about the offset, before it meets any learned state. */
export type SampleReading =
  | { trusted: true; interval: OffsetInterval; fromBody: boolean }
  | {
      trusted: false;
      outcome: "ignored-no-evidence" | "ignored-slow" | "ignored-cached" | "untrusted-disagreeing";
    };

/** The width of the bounds, ms: how far the true offset may be from their midpoint, twice. */
export function estimateWidthMs(interval: OffsetInterval): number {
  return interval.highMs - interval.lowMs;
}

/**
 * The bounds one reading gives: the server's clock read T in
 * [serverTimeMs, serverTimeMs + resolutionMs) at a local instant in [sentAt, receivedAt].
 */
export function evidenceInterval(
  evidence: TimeEvidence,
  sentAt: number,
  receivedAt: number,
): OffsetInterval {
  return {
    lowMs: evidence.serverTimeMs - receivedAt,
    highMs: evidence.serverTimeMs + evidence.resolutionMs - sentAt,
  };
}

/**
 * Turns one response into bounds on the offset, or says why it cannot.
 *
 * Rules, in order:
 * 1. Malformed readings are dropped; none left: `ignored-no-evidence`.
 * 2. A negative or non-finite round trip (the local clock stepped mid-request) or one over
 *    `maxRoundTripMs`: `ignored-slow`.
 * 3. `cached`: the `Date` header (any reading not from the body) is dropped; nothing left:
 *    `ignored-cached`. Body readings in a cached response still count.
 * 4. Body readings, when present, are the sample and header readings are set aside, agreeing
 *    or not: the body is exact and written for this request, while a header that disagrees
 *    with it was restamped by a proxy or cache. Two body readings that disagree (beyond
 *    `disagreementSlackMs`): `untrusted-disagreeing`. Without body readings, the same holds
 *    among the header readings.
 */
export function readSample(sample: EstimatorSample, options?: EstimatorOptions): SampleReading {
  const usable = sample.evidence.filter(isWellFormed);
  if (usable.length === 0) return { trusted: false, outcome: "ignored-no-evidence" };

  const roundTripMs = sample.receivedAt - sample.sentAt;
  const maxRoundTripMs = options?.maxRoundTripMs ?? DEFAULT_MAX_ROUND_TRIP_MS;
  if (!(roundTripMs >= 0 && roundTripMs <= maxRoundTripMs)) {
    return { trusted: false, outcome: "ignored-slow" };
  }

  const fresh = sample.cached === true ? usable.filter((e) => e.fromBody) : usable;
  if (fresh.length === 0) return { trusted: false, outcome: "ignored-cached" };

  const fromBody = fresh.filter((e) => e.fromBody);
  const chosen = fromBody.length > 0 ? fromBody : fresh;
  const intervals = chosen.map((e) => evidenceInterval(e, sample.sentAt, sample.receivedAt));
  const slackMs = options?.disagreementSlackMs ?? DEFAULT_DISAGREEMENT_SLACK_MS;
  const combined = combineAgreeing(intervals, slackMs);
  if (combined === undefined) return { trusted: false, outcome: "untrusted-disagreeing" };
  return { trusted: true, interval: combined, fromBody: fromBody.length > 0 };
}

/**
 * Takes one sample into the estimate. Never mutates `state`; returns it unchanged when the
 * sample changes nothing.
 *
 * - An untrusted or ignored sample (see `readSample`) changes nothing.
 * - `untrusted-implausible`: the sample's bounds lie wholly beyond ±`maxCorrectionMs` while
 *   the local clock is plausible (not before `RELEASE_TIME_MS`). A local clock earlier than
 *   that is provably wrong, so there a large offset is taken, provided the server time it
 *   implies is itself plausible: that is how a board that booted in 1970 recovers. This check
 *   comes before corroboration: a server that claims 2099 while calling us skewed is not
 *   believed either.
 * - No estimate yet: the sample becomes the estimate (`accepted`).
 * - Bounds overlapping the estimate (widened for drift since its last sample): intersect them
 *   (`accepted`); any pending step is dropped as a fluke.
 * - Bounds disjoint from the estimate: the clock stepped, or the sample is wild. With
 *   `corroborated` (the server itself said the request was skewed) the estimate restarts from
 *   the sample (`step-accepted`). Otherwise, a sample overlapping the pending step confirms it
 *   and the estimate restarts from their intersection (`step-accepted`); else the sample
 *   becomes the pending step (`step-pending`). A real step is thus relearned within two
 *   samples, and a single wild value moves nothing.
 */
export function addSample(
  state: EstimatorState,
  sample: EstimatorSample,
  localNow: number,
  options?: EstimatorOptions,
  corroborated?: boolean,
): SampleResult {
  const reading = readSample(sample, options);
  if (!reading.trusted) return { state, outcome: reading.outcome };
  const { interval } = reading;

  if (isImplausible(interval, localNow, options)) {
    return { state, outcome: "untrusted-implausible", interval };
  }

  const driftPpm = options?.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM;
  const { estimate, pending } = state;
  if (estimate === undefined) {
    return {
      state: { estimate: startEstimate(interval, 1, localNow), ...bodyFlag(reading.fromBody) },
      outcome: "accepted",
      interval,
    };
  }

  const current = intersect(
    widenForDrift(estimate, estimate.updatedAt, localNow, driftPpm),
    interval,
  );
  if (current !== undefined) {
    const next: OffsetEstimate = {
      ...toEstimate(current),
      samples: estimate.samples + 1,
      updatedAt: localNow,
    };
    return {
      state: { estimate: next, ...bodyFlag(state.fromBody === true || reading.fromBody) },
      outcome: "accepted",
      interval,
    };
  }

  if (corroborated === true) {
    return {
      state: { estimate: startEstimate(interval, 1, localNow), ...bodyFlag(reading.fromBody) },
      outcome: "step-accepted",
      interval,
    };
  }

  // Headers alone never overrule exact body evidence; if the clock did step, the next failure
  // carries fresh body evidence and is corroborated.
  if (state.fromBody === true && !reading.fromBody) {
    return { state, outcome: "untrusted-disagreeing", interval };
  }

  const confirmed =
    pending === undefined
      ? undefined
      : intersect(widenForDrift(pending, pending.at, localNow, driftPpm), interval);
  if (confirmed !== undefined) {
    return {
      state: { estimate: startEstimate(confirmed, 2, localNow), ...bodyFlag(reading.fromBody) },
      outcome: "step-accepted",
      interval,
    };
  }

  return {
    state: { ...state, pending: { ...interval, at: localNow } },
    outcome: "step-pending",
    interval,
  };
}

function bodyFlag(fromBody: boolean): Pick<EstimatorState, "fromBody"> {
  return fromBody ? { fromBody } : {};
}

function isWellFormed(e: TimeEvidence): boolean {
  return Number.isFinite(e.serverTimeMs) && Number.isFinite(e.resolutionMs) && e.resolutionMs >= 0;
}

/**
 * Readings that pairwise agree within `slackMs` combine into their intersection; when rounding
 * leaves that empty, into their hull, which holds every reading that might be the right one.
 */
function combineAgreeing(intervals: OffsetInterval[], slackMs: number): OffsetInterval | undefined {
  for (const [i, a] of intervals.entries()) {
    for (const b of intervals.slice(i + 1)) {
      if (a.lowMs - b.highMs > slackMs || b.lowMs - a.highMs > slackMs) return undefined;
    }
  }
  const lowMs = Math.max(...intervals.map((r) => r.lowMs));
  const highMs = Math.min(...intervals.map((r) => r.highMs));
  if (lowMs <= highMs) return { lowMs, highMs };
  return {
    lowMs: Math.min(...intervals.map((r) => r.lowMs)),
    highMs: Math.max(...intervals.map((r) => r.highMs)),
  };
}

function isImplausible(
  interval: OffsetInterval,
  localNow: number,
  options: EstimatorOptions | undefined,
): boolean {
  const maxCorrectionMs = options?.maxCorrectionMs ?? DEFAULT_MAX_CORRECTION_MS;
  const beyond = interval.lowMs > maxCorrectionMs || interval.highMs < -maxCorrectionMs;
  if (!beyond) return false;
  if (isPlausibleLocalTime(localNow)) return true;
  return !(localNow + interval.lowMs >= RELEASE_TIME_MS);
}

function intersect(a: OffsetInterval, b: OffsetInterval): OffsetInterval | undefined {
  const lowMs = Math.max(a.lowMs, b.lowMs);
  const highMs = Math.min(a.highMs, b.highMs);
  return lowMs <= highMs ? { lowMs, highMs } : undefined;
}

function widenForDrift(
  interval: OffsetInterval,
  since: number,
  localNow: number,
  driftPpm: number,
): OffsetInterval {
  const marginMs = (Math.abs(localNow - since) * driftPpm) / 1_000_000;
  return { lowMs: interval.lowMs - marginMs, highMs: interval.highMs + marginMs };
}

function toEstimate(
  interval: OffsetInterval,
): Pick<OffsetEstimate, "offsetMs" | "lowMs" | "highMs"> {
  return {
    offsetMs: (interval.lowMs + interval.highMs) / 2,
    lowMs: interval.lowMs,
    highMs: interval.highMs,
  };
}

function startEstimate(
  interval: OffsetInterval,
  samples: number,
  localNow: number,
): OffsetEstimate {
  return { ...toEstimate(interval), samples, updatedAt: localNow };
}
