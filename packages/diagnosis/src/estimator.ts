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
  /**
   * What the server's answer says of the signing time the request carried, when it carried
   * one. It is evidence of its own: a server that accepted a signature dated X has a clock
   * within its window of X; one that refused X as skewed does not read X.
   */
  signing?: SigningVerdict;
}

/** What a server's answer says of the time a request was signed at. */
export interface SigningVerdict {
  /** The offset the request was signed with (signing time minus the local clock), ms. */
  offsetMs: number;
  /**
   * - `accepted`: the server authenticated the signature (a success, or a refusal that comes
   *   only after authentication, such as a 404).
   * - `refused-as-skewed`: the server refused the signing time itself (`RequestTimeTooSkewed`
   *   and its kin).
   * - `refused`: the server refused the signature, which the time may or may not explain
   *   (`SignatureDoesNotMatch`, a bare 403).
   */
  verdict: "accepted" | "refused-as-skewed" | "refused";
}

export interface EstimatorOptions {
  /**
   * Samples whose round trip is longer are ignored: their bounds are too wide to help and a
   * slow path is likely a stalled connection or a suspended process.
   * @default 900_000 (15 minutes)
   */
  maxRoundTripMs?: number;
  /**
   * The largest correction one answer may make to a valid local clock. A reading beyond it is
   * held, not taken: one `Date: ... 2099` must not move the clock by decades. It is taken once
   * the server accepts a request signed on it, and refuted for good once the server refuses
   * one as skewed (see `addSample`). A local clock that reads earlier than the release date is
   * provably wrong and takes any correction at once (a board that booted in 1970).
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
  /** Local clock ms when it was seen (last narrowed). */
  at: number;
  /**
   * The reading lies beyond `maxCorrectionMs` of the local clock: it is taken only once a
   * request signed on it is accepted, never on agreeing readings alone.
   */
  beyondBound?: boolean;
  /** Answers that agreed on it so far (1 when first seen). @default 1 */
  agreeing?: number;
  /**
   * Local clock ms when a request signed on it was refused, though not as skewed (a signature
   * mismatch, which a wrong key explains as well): an adapter waits a while before trying it
   * again.
   */
  triedAt?: number;
}

/** At most this many refuted readings are remembered per endpoint; the oldest goes first. */
export const MAX_REFUTED_READINGS = 4;

export interface EstimatorState {
  estimate?: OffsetEstimate;
  pending?: PendingStep;
  /**
   * Readings beyond the bound that the server itself contradicted (it refused a request signed
   * on one as skewed, or accepted one signed days away): a reading near one of them is refuted
   * at once, so a server that keeps claiming 2099 costs one tried request, not one per call.
   */
  refuted?: readonly OffsetInterval[];
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
  /** The sample's reading is one the server itself has shown false (see `addSample`). */
  refuted?: true;
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
 * - An untrusted or ignored sample (see `readSample`) teaches nothing of the offset; its
 *   `signing` verdict may still settle a held reading (below).
 * - `untrusted-implausible` on a local clock earlier than `RELEASE_TIME_MS` (provably wrong):
 *   only a reading whose implied server time is itself before the release. Any other reading
 *   is taken at once, however large: that is how a board that booted in 1970 recovers.
 * - A reading beyond ±`maxCorrectionMs` of a plausible local clock that the estimate does not
 *   already cover is held, never taken on its own word (`untrusted-implausible`): one
 *   `Date: ... 2099` must not move the clock by decades, whether or not the server calls the
 *   request skewed. Readings that agree with it narrow it and count as agreeing answers (an
 *   adapter may then try one request on it). It is taken (`step-accepted`) when the server
 *   accepts a request signed on it (`signing.verdict: "accepted"`): no lying server can do
 *   that. It is refuted (`untrusted-disagreeing`, `refuted`) when the server refuses a request
 *   signed on it as skewed, when an answer claims it while refusing a request signed at that
 *   very time as skewed, or while accepting one signed more than the bound away; a later
 *   reading near a refuted one is refuted at once.
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
  const boundMs = options?.maxCorrectionMs ?? DEFAULT_MAX_CORRECTION_MS;
  const slackMs = options?.disagreementSlackMs ?? DEFAULT_DISAGREEMENT_SLACK_MS;
  const driftPpm = options?.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM;
  const reading = readSample(sample, options);
  if (!reading.trusted) {
    // No reading, yet the verdict on a request signed on a held reading settles it.
    const held = settleHeld(state, sample.signing, localNow, boundMs, slackMs);
    if (held.adopted) return { state: held.state, outcome: "step-accepted" };
    return { state: held.state, outcome: reading.outcome };
  }
  const { interval } = reading;

  const beyond = isBeyond(interval, boundMs);
  if (
    beyond &&
    !isPlausibleLocalTime(localNow) &&
    !(localNow + interval.lowMs >= RELEASE_TIME_MS)
  ) {
    return { state, outcome: "untrusted-implausible", interval };
  }
  const wild = beyond && isPlausibleLocalTime(localNow);
  const held = settleHeld(state, sample.signing, localNow, boundMs, slackMs, interval);
  const base = held.state;
  const { estimate, pending } = base;
  const covered =
    estimate !== undefined &&
    intersect(widenForDrift(estimate, estimate.updatedAt, localNow, driftPpm), interval) !==
      undefined;

  if (wild && !covered) {
    if (nearRefuted(base, interval, boundMs)) {
      return { state: base, outcome: "untrusted-disagreeing", interval, refuted: true };
    }
    if (held.trialRefused || contradictsVerdict(interval, sample.signing, boundMs, slackMs)) {
      return {
        state: withRefuted(base, interval),
        outcome: "untrusted-disagreeing",
        interval,
        refuted: true,
      };
    }
    return hold(base, interval, sample.signing, localNow, driftPpm, boundMs);
  }

  if (estimate === undefined) {
    return {
      state: {
        ...keepRefuted(base),
        estimate: startEstimate(interval, 1, localNow),
        ...bodyFlag(reading.fromBody),
      },
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
      state: {
        ...keepRefuted(base),
        estimate: next,
        ...bodyFlag(base.fromBody === true || reading.fromBody),
      },
      outcome: "accepted",
      interval,
    };
  }

  if (corroborated === true) {
    return {
      state: {
        ...keepRefuted(base),
        estimate: startEstimate(interval, 1, localNow),
        ...bodyFlag(reading.fromBody),
      },
      outcome: "step-accepted",
      interval,
    };
  }

  // Headers alone never overrule exact body evidence; if the clock did step, the next failure
  // carries fresh body evidence and is corroborated.
  if (base.fromBody === true && !reading.fromBody) {
    return { state: base, outcome: "untrusted-disagreeing", interval };
  }

  const confirmed =
    pending === undefined || pending.beyondBound
      ? undefined
      : intersect(widenForDrift(pending, pending.at, localNow, driftPpm), interval);
  if (confirmed !== undefined) {
    return {
      state: {
        ...keepRefuted(base),
        estimate: startEstimate(confirmed, 2, localNow),
        ...bodyFlag(reading.fromBody),
      },
      outcome: "step-accepted",
      interval,
    };
  }

  return {
    state: { ...base, pending: { ...interval, at: localNow } },
    outcome: "step-pending",
    interval,
  };
}

/**
 * A reading beyond the bound, held: it narrows a held reading it agrees with (one more
 * agreeing answer), or replaces whatever was pending. The estimate is left as it was.
 */
function hold(
  state: EstimatorState,
  interval: OffsetInterval,
  signing: SigningVerdict | undefined,
  localNow: number,
  driftPpm: number,
  boundMs: number,
): SampleResult {
  const { pending } = state;
  const agreed =
    pending?.beyondBound === true
      ? intersect(widenForDrift(pending, pending.at, localNow, driftPpm), interval)
      : undefined;
  const agreeing = agreed ? (pending?.agreeing ?? 1) + 1 : 1;
  const bounds = agreed ?? interval;
  const triedAt = agreed !== undefined ? pending?.triedAt : undefined;
  // The server accepted a request signed on this very reading: no lying server can do that.
  if (signing?.verdict === "accepted" && distanceMs(bounds, signing.offsetMs) <= boundMs) {
    return {
      state: { ...keepRefuted(state), estimate: startEstimate(bounds, agreeing, localNow) },
      outcome: "step-accepted",
      interval,
    };
  }
  return {
    state: {
      ...state,
      pending: {
        ...bounds,
        at: localNow,
        beyondBound: true,
        agreeing,
        ...(triedAt === undefined ? {} : { triedAt }),
      },
    },
    outcome: "untrusted-implausible",
    interval,
  };
}

/**
 * What an answer's verdict on the signing time says of a held reading. Refused as skewed on a
 * request signed on it: refuted (`trialRefused`: a wild reading that answer carries is no
 * better). Accepted on one signed more than the bound away from it: refuted. Accepted on one
 * signed on it: adopted here when the answer has no reading of its own, else by `hold`, which
 * then sees the reading and the acceptance together.
 */
function settleHeld(
  state: EstimatorState,
  signing: SigningVerdict | undefined,
  localNow: number,
  boundMs: number,
  slackMs: number,
  interval?: OffsetInterval,
): { state: EstimatorState; adopted?: true; trialRefused?: true } {
  const { pending } = state;
  if (pending?.beyondBound !== true || signing === undefined) return { state };
  const distance = distanceMs(pending, signing.offsetMs);
  if (signing.verdict === "refused") {
    // Signed on it and refused, though not for the time: the trial says nothing either way.
    if (distance > slackMs) return { state };
    return { state: { ...state, pending: { ...pending, triedAt: localNow } } };
  }
  if (signing.verdict === "refused-as-skewed") {
    if (distance > slackMs) return { state };
    return { state: withRefuted(dropPending(state), pending), trialRefused: true };
  }
  if (distance > boundMs) return { state: withRefuted(dropPending(state), pending) };
  if (distance > slackMs || interval !== undefined) return { state };
  const { at: _at, beyondBound: _beyond, agreeing, triedAt: _tried, ...bounds } = pending;
  return {
    state: {
      ...keepRefuted(state),
      estimate: startEstimate(bounds, (agreeing ?? 1) + 1, localNow),
    },
    adopted: true,
  };
}

/** An answer whose reading its own verdict on the signing time contradicts. */
function contradictsVerdict(
  interval: OffsetInterval,
  signing: SigningVerdict | undefined,
  boundMs: number,
  slackMs: number,
): boolean {
  if (signing === undefined) return false;
  const distance = distanceMs(interval, signing.offsetMs);
  if (signing.verdict === "accepted") return distance > boundMs;
  return signing.verdict === "refused-as-skewed" && distance <= slackMs;
}

function nearRefuted(state: EstimatorState, interval: OffsetInterval, boundMs: number): boolean {
  return (state.refuted ?? []).some((r) => gapMs(r, interval) <= boundMs);
}

function withRefuted(state: EstimatorState, interval: OffsetInterval): EstimatorState {
  const refuted = [...(state.refuted ?? []), { lowMs: interval.lowMs, highMs: interval.highMs }];
  return { ...state, refuted: refuted.slice(-MAX_REFUTED_READINGS) };
}

function keepRefuted(state: EstimatorState): Pick<EstimatorState, "refuted"> {
  return state.refuted ? { refuted: state.refuted } : {};
}

function dropPending(state: EstimatorState): EstimatorState {
  const { pending: _dropped, ...rest } = state;
  return rest;
}

/** How far `ms` lies outside `interval` (0 inside). */
function distanceMs(interval: OffsetInterval, ms: number): number {
  return Math.max(0, interval.lowMs - ms, ms - interval.highMs);
}

/** The gap between two intervals (0 when they overlap). */
function gapMs(a: OffsetInterval, b: OffsetInterval): number {
  return Math.max(0, a.lowMs - b.highMs, b.lowMs - a.highMs);
}

function isBeyond(interval: OffsetInterval, boundMs: number): boolean {
  return interval.lowMs > boundMs || interval.highMs < -boundMs;
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
