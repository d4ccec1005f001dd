import { describe, expect, it } from "vitest";
import { type DecideInput, decide } from "./decide.js";
import type { OffsetEstimate } from "./types.js";

const MIN = 60_000;

function estimate(offsetMs: number, halfWidthMs = 600): OffsetEstimate {
  return {
    offsetMs,
    lowMs: offsetMs - halfWidthMs,
    highMs: offsetMs + halfWidthMs,
    samples: 1,
    updatedAt: 0,
  };
}

function input(over: Partial<DecideInput>): DecideInput {
  return {
    status: 403,
    verdict: "definite",
    presignedExpiry: false,
    usedOffsetMs: 0,
    estimate: estimate(15 * MIN),
    estimateTrusted: true,
    alreadyResent: false,
    replayable: true,
    resendAllowed: true,
    ...over,
  };
}

describe("decide", () => {
  it("resends a definite skew failure at once with the estimate's offset", () => {
    const d = decide(input({}));
    expect(d).toMatchObject({
      action: "resend",
      offsetMs: 15 * MIN,
      skewMs: 15 * MIN,
      verdict: "definite",
    });
    expect(d.why).toContain("+15m 0s");
  });

  it("does not resend a definite failure for sub-second jitter between two exact readings", () => {
    // A fresh exact reading a few ms off the last one: outside its narrow bounds, not a skew.
    const jitter = decide(input({ usedOffsetMs: 15 * MIN - 8, estimate: estimate(15 * MIN, 3) }));
    expect(jitter).toMatchObject({ action: "return", skipReason: "not-clock" });
    expect(jitter.why).toContain("too close for the clock to be the cause");
    const real = decide(input({ usedOffsetMs: 15 * MIN - 1_500, estimate: estimate(15 * MIN, 3) }));
    expect(real.action).toBe("resend");
  });

  it("resends a possible failure only at or above the threshold", () => {
    expect(decide(input({ verdict: "possible", estimate: estimate(3 * MIN) })).action).toBe(
      "resend",
    );
    const small = decide(input({ verdict: "possible", estimate: estimate(30_000) }));
    expect(small).toMatchObject({ action: "return", skipReason: "not-clock" });
    const custom = decide(input({ verdict: "possible", estimate: estimate(3 * MIN) }), {
      possibleSkewThresholdMs: 4 * MIN,
    });
    expect(custom).toMatchObject({ action: "return", skipReason: "not-clock" });
  });

  it("never resends what the clock cannot cause", () => {
    expect(decide(input({ status: 404, verdict: "none" }))).toEqual({
      action: "return",
      verdict: "none",
      why: "not found: the clock cannot cause it",
    });
    // A policy denial: not a signature failure, so no skip to report either.
    const policy = decide(input({ verdict: "none" }));
    expect(policy.action).toBe("return");
    expect(policy.skipReason).toBeUndefined();
  });

  it("does not resend when the request was already signed on the server's clock", () => {
    const d = decide(input({ verdict: "possible", usedOffsetMs: 15 * MIN + 100 }));
    expect(d).toMatchObject({ action: "return", skipReason: "not-clock" });
  });

  it("resends a definite failure signed on the server's clock: the signature went stale in transit", () => {
    // A Lambda frozen between signing and sending: "Signature expired" while the offset is right.
    const held = { usedOffsetMs: 15 * MIN + 100, heldMs: 6 * MIN };
    const d = decide(input(held));
    expect(d).toMatchObject({ action: "resend", offsetMs: 15 * MIN, verdict: "definite" });
    expect(d.why).toMatch(/stale on arrival/);
    // Still once only, and never against the user's wishes or an unreplayable body.
    expect(decide(input({ ...held, alreadyResent: true })).skipReason).toBe("already-resent");
    expect(decide(input({ ...held, replayable: false })).skipReason).toBe("body-not-replayable");
    // A quick answer that names the clock while the clock agrees is no stale signature: a
    // server whose words and clock disagree, or sampling jitter. Not resent.
    expect(decide(input({ ...held, heldMs: 200 }))).toMatchObject({
      action: "return",
      skipReason: "not-clock",
    });
  });

  it("names why a clock failure was not resent", () => {
    expect(decide(input({ alreadyResent: true })).skipReason).toBe("already-resent");
    expect(decide(input({ resendAllowed: false })).skipReason).toBe("resend-disabled");
    expect(decide(input({ replayable: false })).skipReason).toBe("body-not-replayable");
    const { estimate: _, ...noEstimate } = input({});
    expect(decide(noEstimate).skipReason).toBe("evidence-untrusted");
    expect(decide(input({ usedOffsetMs: 15 * MIN, estimateTrusted: false })).skipReason).toBe(
      "evidence-untrusted",
    );
  });

  it("leaves presigned URLs to be re-made, never resending them", () => {
    const d = decide(input({ presignedExpiry: true }));
    expect(d.action).toBe("return");
    expect(d.skipReason).toBeUndefined();
    expect(d.why).toMatch(/presigned/);
  });

  it("returns successes untouched", () => {
    expect(decide(input({ status: 200 })).action).toBe("return");
  });
});

describe("decide: readings beyond the correction bound", () => {
  const DAY = 24 * 60 * MIN;
  /** An input with no estimate at all. */
  const bare = (over: Partial<DecideInput>): DecideInput => {
    const { estimate: _none, ...rest } = input(over);
    return rest;
  };
  const held = (offsetMs: number, agreeing: number, tried = false) => ({
    offsetMs,
    lowMs: offsetMs - 500,
    highMs: offsetMs + 500,
    agreeing,
    ...(tried ? { tried } : {}),
  });

  it("declines one unconfirmed reading, saying the bound and what comes next", () => {
    const d = decide(bare({ estimateTrusted: false, held: held(2 * DAY, 1) }));
    expect(d).toMatchObject({
      action: "return",
      skipReason: "evidence-untrusted",
      declined: true,
    });
    expect(d.why).toMatch(/\+2d 0h off the local clock, beyond the 24 h one answer may correct/);
    expect(d.why).toMatch(/if the next answer agrees, one request is re-signed on it/);
    const sdk = decide(
      bare({
        estimateTrusted: false,
        held: held(2 * DAY, 1),
        sdkClock: true,
      }),
    );
    expect(sdk.why).toMatch(/signed on the SDK's own clock, exactly as without skewguard/);
  });

  it("tries one resend on a reading two answers agree on", () => {
    const d = decide(bare({ estimateTrusted: false, held: held(-30 * DAY, 2) }));
    expect(d).toMatchObject({ action: "resend", offsetMs: -30 * DAY });
    expect(d.why).toMatch(/two answers agree on it: re-signing once on it/);
    // Not when a request signed on it was already refused for something else.
    const tried = decide(bare({ estimateTrusted: false, held: held(-30 * DAY, 3, true) }));
    expect(tried).toMatchObject({ action: "return", declined: true });
    expect(tried.why).toMatch(/not tried again/);
  });

  it("does not decline a reading the server contradicted: it is known false", () => {
    const d = decide(bare({ estimateTrusted: false, refuted: true }));
    expect(d).toMatchObject({ action: "return", skipReason: "evidence-untrusted" });
    expect(d.declined).toBeUndefined();
  });

  it("marks as declined only what skewguard left undone", () => {
    expect(decide(input({ resendAllowed: false })).declined).toBe(true);
    expect(decide(input({ replayable: false })).declined).toBe(true);
    expect(decide(bare({})).declined).toBe(true);
    expect(decide(input({ usedOffsetMs: 15 * MIN })).declined).toBeUndefined();
    expect(decide(input({ alreadyResent: true })).declined).toBeUndefined();
    expect(decide(input({ status: 404, verdict: "none" })).declined).toBeUndefined();
  });
});

describe("decide: a skew too small to matter", () => {
  it("does not resend a definite refusal whose own reading puts the signing time within a second", () => {
    const e = estimate(15 * MIN, 3);
    const d = decide(input({ estimate: e, usedOffsetMs: 15 * MIN + 8 }));
    expect(d).toMatchObject({ action: "return", skipReason: "not-clock" });
    expect(d.why).toMatch(/too close for the clock to be the cause/);
  });
});
