import { formatDuration, formatMs } from "./format.js";
import type { ClockVerdict, Decision, OffsetEstimate } from "./types.js";

/**
 * A reading beyond the correction bound that this failure's answer gave (or agreed with):
 * held, not signed with, until a request signed on it is accepted.
 */
export interface HeldReading {
  /** Server minus local, ms. */
  offsetMs: number;
  lowMs: number;
  highMs: number;
  /** Answers that agreed on it, this one included. */
  agreeing: number;
  /** A request signed on it was refused, though not as skewed: no second trial. */
  tried?: boolean;
}

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
  /**
   * The failure's clock question rests on a reading beyond the correction bound that nothing
   * has confirmed. With two agreeing answers, one resend on it is tried (the server's verdict
   * confirms or refutes it); with one, the failure is declined.
   */
  held?: HeldReading;
  /** The answer's clock reading is one the server itself has shown false. */
  refuted?: boolean;
  /**
   * The SDK keeps and retries on a clock of its own (see `RecoveryRequest.sdkClock`): a
   * declined failure is left to it. Only changes what `why` says comes next.
   */
  sdkClock?: boolean;
  /** The bound one answer may correct the clock by, for `why`. @default 24 h */
  maxCorrectionMs?: number;
  /**
   * The failed attempt was signed by the SDK on its own clock (`AttemptPlan.sdkClock`): it is
   * the SDK's own attempt, observed, never added to; what comes next is the SDK's to decide.
   */
  signedBySdk?: boolean;
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
  const { verdict } = input;
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
      declined: true,
      ...skewOf(input),
    };
  }
  if (input.signedBySdk && !input.refuted) {
    // Learned from, never resent: a resend here would add a request to an attempt the SDK
    // makes exactly as it would without skewguard. (A refuted claim is handled below: the
    // SDK's retry would sign on a time the server itself has shown false.)
    return {
      action: "return",
      verdict,
      why: "signed on the SDK's own clock while a reading beyond the bound awaited confirmation: left to the SDK, as without skewguard",
      declined: true,
      ...skewOf(input),
    };
  }
  if (input.refuted) {
    // Not a refusal to act on evidence: the evidence is known false, so whatever the SDK would
    // do with it (retry on it) is futile too.
    return {
      action: "return",
      verdict,
      skipReason: "evidence-untrusted",
      why: "the server's clock reading is one it contradicted itself (it refused a request signed at that time as skewed, or accepted one signed days away): ignored, not resent",
      ...skewOf(input),
    };
  }
  let { estimate } = input;
  let trusted = input.estimateTrusted;
  let trial = false;
  if (input.held) {
    const held = input.held;
    const signedOnHeld =
      input.usedOffsetMs >= held.lowMs - HELD_SLACK_MS &&
      input.usedOffsetMs <= held.highMs + HELD_SLACK_MS;
    if (signedOnHeld) {
      return decline(
        input,
        "evidence-untrusted",
        `signed on the server's claimed clock (${formatMs(held.offsetMs)}) and refused, though not for its time: the clock is not shown to be the cause${nextWhenDeclined(input)}`,
      );
    }
    if (held.agreeing < 2 || held.tried) {
      return decline(input, "evidence-untrusted", whyHeld(input, held));
    }
    // Two answers agree on it: one request re-signed on it is the test.
    estimate = { ...held, samples: held.agreeing, updatedAt: 0 };
    trusted = true;
    trial = true;
  }
  if (estimate === undefined) {
    return decline(
      input,
      "evidence-untrusted",
      `no trustworthy reading of the server's clock${nextWhenDeclined(input)}`,
    );
  }
  const skewMs = estimate.offsetMs - input.usedOffsetMs;
  const signedInsideBounds =
    input.usedOffsetMs >= estimate.lowMs && input.usedOffsetMs <= estimate.highMs;
  // Signed on the server's clock, yet the server says the signing time was out of its window:
  // the signature went stale before it arrived (a process frozen between signing and sending,
  // a request held in a queue). A fresh signature is the cure, so it is resent like a skew.
  const stale =
    signedInsideBounds &&
    trusted &&
    !trial &&
    verdict === "definite" &&
    (input.heldMs ?? 0) >= MIN_STALE_HOLD_MS;
  if (signedInsideBounds && !stale) {
    return trusted
      ? skip(input, "not-clock", "the request was already signed on the server's clock")
      : decline(
          input,
          "evidence-untrusted",
          `the response's time evidence was set aside as untrustworthy${nextWhenDeclined(input)}`,
        );
  }
  if (!stale && Math.abs(skewMs) < MIN_RESEND_SKEW_MS) {
    // The server's own reading says the request was signed on its clock to within the
    // reading's precision: whatever it refused, a clock this close is not what it minds.
    return skip(
      input,
      "not-clock",
      `signed ${formatMs(skewMs)} off the server's clock by its own reading: too close for the clock to be the cause`,
    );
  }
  const threshold = options.possibleSkewThresholdMs ?? DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS;
  if (!stale && verdict === "possible" && Math.abs(skewMs) < threshold) {
    return skip(
      input,
      "not-clock",
      `signed ${formatMs(skewMs)} off the server's clock, under ${formatMs(threshold)}`,
    );
  }
  if (input.alreadyResent) {
    return skip(
      input,
      "already-resent",
      "the resend on the corrected clock failed too: the clock was not the cause",
    );
  }
  const then = trial
    ? "; the next request is tried on it"
    : "; the next request is signed on the server's clock";
  if (!input.resendAllowed) {
    return decline(
      input,
      "resend-disabled",
      `a single attempt was asked for (maxAttempts: 1): not resent${then}`,
    );
  }
  if (!input.replayable) {
    return decline(
      input,
      "body-not-replayable",
      `the request body was streamed beyond the replay buffer: not resent${then}`,
    );
  }
  return {
    action: "resend",
    verdict,
    offsetMs: estimate.offsetMs,
    skewMs,
    why: stale
      ? "signed on the server's clock but stale on arrival (held after signing); re-signing now"
      : trial
        ? `signed ${formatMs(skewMs)} off the server's clock, beyond the ${boundOf(input)} one answer may correct, and two answers agree on it: re-signing once on it; it is adopted only if the server accepts that request`
        : `signed ${formatMs(skewMs)} off the server's clock; re-signing on the server's clock`,
  };
}

/**
 * Below this, no skew is worth a resend, whatever the code: no server's window is this
 * narrow, and the estimate's own bounds are about this wide.
 */
const MIN_RESEND_SKEW_MS = 1_000;

/** How far off a held reading a request may be signed and still count as signed on it. */
const HELD_SLACK_MS = 2_000;

const DEFAULT_BOUND_MS = 24 * 3_600_000;

/** The bound as people write it: `24 h`. */
function boundOf(input: DecideInput): string {
  const ms = input.maxCorrectionMs ?? DEFAULT_BOUND_MS;
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : formatDuration(ms);
}

/** Why a single reading beyond the bound is not acted on, and what happens next. */
function whyHeld(input: DecideInput, held: HeldReading): string {
  const claim = `the server's clock reads ${formatMs(held.offsetMs)} off the local clock, beyond the ${boundOf(input)} one answer may correct, and nothing confirms it yet: not signed with`;
  if (held.tried && !input.sdkClock) {
    return `${claim}; a request signed on it was refused, though not as skewed, so it is not tried again for a minute`;
  }
  if (input.sdkClock) {
    return `${claim}; until a request signed on it is accepted, requests are signed on the SDK's own clock, exactly as without skewguard, and the SDK's own retry or next request confirms or refutes it`;
  }
  return `${claim}; if the next answer agrees, one request is re-signed on it, and it is adopted only if the server accepts that request`;
}

/** What happens to a declined failure next. */
function nextWhenDeclined(input: DecideInput): string {
  return input.sdkClock
    ? ": not resent; the SDK's own handling of the failure stands, as without skewguard"
    : ": not resent; the failure is returned as the server gave it";
}

function decline(
  input: DecideInput,
  reason: Decision["skipReason"] & string,
  why: string,
): Decision {
  return { ...skip(input, reason, why), declined: true };
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
