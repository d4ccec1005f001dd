import { formatDuration, formatMs } from "./format.js";
import type { ClockVerdict, Decision, OffsetEstimate } from "./types.js";

/** Everything the recovery decision depends on; adapters and the engine fill it in. */
export interface DecideInput {
  status: number;
  verdict: ClockVerdict;
  /** A presigned URL / SAS outside its window: nothing to resend, the URL must be re-made. */
  presignedExpiry: boolean;
  /** The offset the failed attempt was signed with, ms. */
  usedOffsetMs: number;
  /** The endpoint's estimate after taking this response into account. */
  estimate?: OffsetEstimate;
  /** False when this response's time evidence was set aside as untrustworthy. */
  estimateTrusted: boolean;
  /** The failed attempt was itself a corrective resend. */
  alreadyResent: boolean;
  /** The request body can be sent again. */
  replayable: boolean;
  /** False when the user asked for a single attempt (`maxAttempts: 1`). */
  resendAllowed: boolean;
  /** How long the failed attempt took from before its signing to its answer, ms. */
  heldMs?: number;
}

export interface DecideOptions {
  /**
   * A possible clock failure (SignatureDoesNotMatch, a bare 403) is resent only when the
   * signing time was at least this far off. AWS's Go and Java SDKs use 4 minutes; skewguard
   * defaults to 60 s because servers with a tighter window than S3's 15 minutes exist and
   * the resend happens once, at once, and only when the estimate shows the time was off.
   * @default 60_000
   */
  possibleSkewThresholdMs?: number;
}

export const DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS = 60_000;

/**
 * Even a server that names the clock is not answered with a resend for a skew under this:
 * signing times are written in whole seconds, so no server's window is finer, and a
 * sub-second "skew" is the sampling jitter of two exact readings (a response's `Time:` taken a
 * few milliseconds off the round trip), not the cause. Without it such jitter looked like a
 * clock step and cost a futile resend.
 */
export const MIN_DEFINITE_SKEW_MS = 1_000;

/**
 * A request signed on the server's clock and refused for its time is taken for one whose
 * signature went stale on the way only when it took at least this long: no service's window is
 * shorter, so a quicker answer means the server's clock is not the one its words claim.
 */
export const MIN_STALE_HOLD_MS = 60_000;

/**
 * The recovery decision (design section 3): resend now with the corrected clock, or return
 * the failure, and why. Pure: the same input always gives the same decision.
 */
export function decide(input: DecideInput, options: DecideOptions = {}): Decision {
  const { verdict, estimate } = input;
  if (input.status < 400 && input.status !== 0) {
    return { action: "return", verdict: "none", why: "succeeded" };
  }
  if (verdict === "none") {
    // Not a signature failure at all (404, a policy denial): no skip to report.
    return { action: "return", verdict, why: whyNotClock(input.status) };
  }
  if (input.presignedExpiry) {
    return {
      action: "return",
      verdict,
      why: "a presigned URL outside its validity window; make a new one on the corrected clock",
      ...skewOf(input),
    };
  }
  if (estimate === undefined) {
    return skip(input, "evidence-untrusted", "no trustworthy reading of the server's clock");
  }
  const skewMs = estimate.offsetMs - input.usedOffsetMs;
  const signedInsideBounds =
    input.usedOffsetMs >= estimate.lowMs && input.usedOffsetMs <= estimate.highMs;
  // Signed on the server's clock, yet the server says the signing time was out of its window:
  // the signature went stale before it arrived (a process frozen between signing and sending,
  // a request held in a queue). A fresh signature is the cure, so it is resent like a skew.
  const stale =
    signedInsideBounds &&
    input.estimateTrusted &&
    verdict === "definite" &&
    (input.heldMs ?? 0) >= MIN_STALE_HOLD_MS;
  if (signedInsideBounds && !stale) {
    return input.estimateTrusted
      ? skip(input, "not-clock", "the request was already signed on the server's clock")
      : skip(
          input,
          "evidence-untrusted",
          "the response's time evidence was set aside as untrustworthy",
        );
  }
  const threshold =
    verdict === "possible"
      ? (options.possibleSkewThresholdMs ?? DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS)
      : MIN_DEFINITE_SKEW_MS;
  if (!stale && Math.abs(skewMs) < threshold) {
    return skip(
      input,
      "not-clock",
      `signed ${formatMs(skewMs)} off the server's clock, under ${formatDuration(threshold)}`,
    );
  }
  if (input.alreadyResent) {
    return skip(
      input,
      "already-resent",
      "the resend on the corrected clock failed too: the clock was not the cause",
    );
  }
  if (!input.resendAllowed) {
    return skip(input, "resend-disabled", "a single attempt was asked for (maxAttempts: 1)");
  }
  if (!input.replayable) {
    return skip(
      input,
      "body-not-replayable",
      "the request body was streamed beyond the replay buffer",
    );
  }
  return {
    action: "resend",
    verdict,
    offsetMs: estimate.offsetMs,
    skewMs,
    why: stale
      ? "signed on the server's clock but stale on arrival (held after signing); re-signing now"
      : `signed ${formatMs(skewMs)} off the server's clock; re-signing on the server's clock`,
  };
}

function skip(input: DecideInput, reason: Decision["skipReason"] & string, why: string): Decision {
  return { action: "return", verdict: input.verdict, skipReason: reason, why, ...skewOf(input) };
}

function skewOf(input: DecideInput): { skewMs?: number } {
  return input.estimate ? { skewMs: input.estimate.offsetMs - input.usedOffsetMs } : {};
}

function whyNotClock(status: number): string {
  if (status === 404) return "not found: the clock cannot cause it";
  if (status === 0) return "no response";
  return `status ${status} is not a clock failure`;
}
