import { describe, expect, it } from "vitest";
import type { AttemptPlan, AttemptReport, RecoveryOutcome } from "./attempt.js";
import { diagnosisOf } from "./diagnosis-of.js";
import { isSkewguardError } from "./errors.js";
import type { SkewguardEvent } from "./events.js";
import { OffsetStore } from "./offset-store.js";
import { HELD_RETRIAL_AFTER_MS, SkewRecovery } from "./recovery.js";

/**
 * The engine driven by a fake attempt function: a "server" with its own clock that checks the
 * signing time each attempt was given, answering as S3 does. A fake local clock; no network.
 */

const SERVER_NOW = Date.parse("2026-11-23T10:00:00Z");
const MIN = 60_000;
const HOST = "127.0.0.1:9000";

const httpDate = (ms: number) => new Date(ms).toUTCString();
const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");

type Answer =
  | "skewed" // RequestTimeTooSkewed with ServerTime, when the signing time is out of the window
  | "skewed-date-only" // RequestTimeTooSkewed with nothing in the body: only the Date header
  | "bad-signature" // SignatureDoesNotMatch, only Date (a wrong key, or a skew under the window)
  | "not-found"
  | "ok";

interface Server {
  /** Server minus local, ms. */
  aheadMs: number;
  windowMs: number;
  /** What the server says when the signing time is inside its window. */
  inWindow: Answer;
  /** What it says outside (S3: RequestTimeTooSkewed). */
  outOfWindow: Answer;
  /** A wrong Date header on errors (a forged or broken front end). */
  errorDate?: number;
  /** A Date header on errors this far ahead of the server's clock (a forged one that ticks). */
  errorAheadMs?: number;
}

function setup(
  server: Partial<Server> = {},
  options: ConstructorParameters<typeof SkewRecovery>[1] = {},
) {
  const s: Server = {
    aheadMs: 20 * MIN,
    windowMs: 15 * MIN,
    inWindow: "ok",
    outOfWindow: "skewed",
    ...server,
  };
  let local = SERVER_NOW - s.aheadMs;
  const clock = { now: () => local };
  const events: SkewguardEvent[] = [];
  const recovery = new SkewRecovery("s3", {
    clock,
    offsets: new OffsetStore({ clock }),
    onEvent: (e) => events.push(e),
    ...options,
  });
  const plans: AttemptPlan[] = [];
  /** What each attempt was signed with, as signing time minus the local clock. */
  const signedWith: number[] = [];
  /**
   * An SDK that learns its own offset from every answer, as the AWS SDK does (`ServerTime`,
   * else `Date`): what an attempt planned with `sdkClock` is signed with.
   */
  const sdk = { offsetMs: 0 };
  let responsesRead = 0;
  let discarded = 0;
  /** One attempt as an adapter reports it: the SDK error thrown, or the output returned. */
  const send = async (plan: AttemptPlan): Promise<AttemptReport<string>> => {
    plans.push(plan);
    const used = plan.sdkClock ? sdk.offsetMs : plan.offsetMs;
    signedWith.push(used);
    const signedAt = local + used;
    local += 20; // the round trip
    const serverNow = local + s.aheadMs;
    const inside = Math.abs(serverNow - signedAt) <= s.windowMs;
    const answer = inside ? s.inWindow : s.outOfWindow;
    const dateMs = answer === "ok" ? serverNow : (s.errorDate ?? serverNow + (s.errorAheadMs ?? 0));
    const date = httpDate(dateMs);
    sdk.offsetMs = (answer === "skewed" ? serverNow : dateMs) - local;
    const extra = plan.sdkClock ? { signedOffsetMs: used } : {};
    if (answer === "ok") {
      return {
        value: "stored",
        status: 200,
        ...extra,
        response: () => {
          responsesRead++;
          return { headers: { Date: date, "x-amz-request-id": "OKREQ" } };
        },
      };
    }
    const error = Object.assign(new Error(answer), {
      $metadata: { httpStatusCode: answer === "not-found" ? 404 : 403 },
      $response: {
        statusCode: answer === "not-found" ? 404 : 403,
        headers: { Date: date, "x-amz-request-id": "4442587FB7D0A2F9" },
      },
      ...(answer === "skewed-date-only"
        ? { Code: "RequestTimeTooSkewed" }
        : answer === "skewed"
          ? {
              Code: "RequestTimeTooSkewed",
              RequestTime: iso(signedAt),
              ServerTime: iso(serverNow),
              MaxAllowedSkewMilliseconds: String(s.windowMs),
            }
          : answer === "bad-signature"
            ? { Code: "SignatureDoesNotMatch" }
            : { Code: "NoSuchKey" }),
    });
    return {
      error,
      status: answer === "not-found" ? 404 : 403,
      ...extra,
      response: () => {
        responsesRead++;
        return { error };
      },
      discard: () => {
        discarded++;
      },
    };
  };
  const run = (
    request: Parameters<SkewRecovery["run"]>[0] = { host: HOST, operation: "PutObject" },
  ) => recovery.run(request, send);
  return {
    recovery,
    events,
    plans,
    signedWith,
    sdk,
    run,
    send,
    types: () => events.map((e) => e.type),
    reads: () => responsesRead,
    discards: () => discarded,
    advance: (ms: number) => {
      local += ms;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("SkewRecovery.run", () => {
  it("hands a throw, before the send or from it, back as a rejection, never synchronously", async () => {
    const t = setup();
    const failing = new Error("socket reset");
    let outcome: Promise<unknown> | undefined;
    expect(() => {
      outcome = t.recovery.run({ host: HOST }, () => {
        throw failing;
      });
    }).not.toThrow();
    expect(await rejection(outcome ?? Promise.resolve())).toBe(failing);
    // A request the engine cannot read (no host) is refused the same way.
    const broken = { host: undefined } as unknown as { host: string };
    expect(() => {
      outcome = t.recovery.run(broken, t.send);
    }).not.toThrow();
    expect(await rejection(outcome ?? Promise.resolve())).toBeInstanceOf(TypeError);
    expect(t.plans).toHaveLength(0);
  });

  it("learns from a skew error and resends once, at once, on the server's clock", async () => {
    const t = setup();
    await expect(t.run()).resolves.toBe("stored");
    expect(t.plans).toHaveLength(2);
    expect(t.plans[0]).toEqual({ offsetMs: 0, resent: false });
    expect(t.plans[1]?.resent).toBe(true);
    expect(Math.abs((t.plans[1]?.offsetMs ?? 0) - 20 * MIN)).toBeLessThan(100);
    expect(t.discards()).toBe(1);
    expect(t.types()).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);
    expect(t.events[3]).toMatchObject({
      host: HOST,
      operation: "PutObject",
      attempts: 2,
      extraLatencyMs: 20,
      requestId: "OKREQ",
    });
    // The next request signs on what was learned: one attempt.
    await expect(t.run()).resolves.toBe("stored");
    expect(t.plans).toHaveLength(3);
  });

  it("heals a skew under S3's window on a server with a 2-minute window (possible code)", async () => {
    const t = setup({ aheadMs: -3 * MIN, windowMs: 2 * MIN, outOfWindow: "bad-signature" });
    // No time in the body, only Date: the engine still sees the 3-minute skew.
    await expect(t.run()).resolves.toBe("stored");
    expect(t.plans).toHaveLength(2);
  });

  it("does not resend a possible code signed within possibleSkewThresholdMs", async () => {
    const t = setup(
      { aheadMs: -3 * MIN, windowMs: 2 * MIN, outOfWindow: "bad-signature" },
      { possibleSkewThresholdMs: 4 * MIN },
    );
    const error = await rejection(t.run());
    expect(t.plans).toHaveLength(1);
    expect(t.events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      reason: "not-clock",
    });
    expect(diagnosisOf(error)).toBeDefined();
  });

  it("stops after the resend on the corrected clock fails too, and names the key", async () => {
    // Every signature fails: the clock is 20 minutes off, and the key is wrong as well.
    const t = setup({ inWindow: "bad-signature", outOfWindow: "skewed" });
    const error = await rejection(t.run());
    expect(t.plans).toHaveLength(2);
    expect(t.events.slice(-2)).toMatchObject([
      {
        type: "signature.diagnosed",
        diagnosis: { cause: "secret-key-mismatch", confidence: "high" },
      },
      { type: "recovery.skipped", reason: "not-clock" },
    ]);
    expect(diagnosisOf(error)).toMatchObject({ cause: "secret-key-mismatch", confidence: "high" });
    // The error the caller gets is the SDK's own, untouched but for the diagnosis.
    expect((error as Error).message).toBe("bad-signature");
    expect(Object.keys(error as object)).not.toContain("diagnosis");
  });

  it("never resends a wrong key when the clock is right", async () => {
    const t = setup({ aheadMs: 0, inWindow: "bad-signature" });
    const error = await rejection(t.run());
    expect(t.plans).toHaveLength(1);
    expect(diagnosisOf(error)?.cause).toBe("secret-key-mismatch");
  });

  it("never resends a 404, and says nothing about it", async () => {
    const t = setup({ inWindow: "not-found", outOfWindow: "not-found" });
    const error = await rejection(t.run());
    expect(t.plans).toHaveLength(1);
    expect(diagnosisOf(error)).toBeUndefined();
    expect(
      t.types().filter((type) => type !== "skew.detected" && type !== "skew.corrected"),
    ).toEqual([]);
  });

  it("reports a skip, diagnoses, and sends once when the body cannot be replayed", async () => {
    const t = setup();
    let asked = 0;
    const error = await rejection(
      t.run({
        host: HOST,
        replayable: () => {
          asked++;
          return false;
        },
      }),
    );
    expect(t.plans).toHaveLength(1);
    expect(asked).toBe(1);
    expect(t.events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      reason: "body-not-replayable",
    });
    expect(diagnosisOf(error)?.cause).toBe("clock-behind");
  });

  it("respects a single attempt", async () => {
    const t = setup();
    await rejection(t.run({ host: HOST, resendAllowed: false }));
    expect(t.plans).toHaveLength(1);
    expect(t.events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      reason: "resend-disabled",
    });
  });

  it("passes a failure with no response through untouched, learning nothing", async () => {
    const t = setup();
    const reset = new Error("ECONNRESET");
    await expect(t.recovery.run({ host: HOST }, async () => ({ error: reset }))).rejects.toBe(
      reset,
    );
    expect(t.events).toEqual([]);
    expect(diagnosisOf(reset)).toBeUndefined();
  });

  it("returns a failed response an SDK turns into an error later, with the diagnosis on it", async () => {
    const t = setup({ aheadMs: 0, inWindow: "bad-signature" });
    const response = { status: 403 };
    const result = await t.recovery.run({ host: HOST }, async (plan) => {
      const report = await t.send(plan);
      return {
        value: response,
        status: report.status ?? 0,
        ...(report.response ? { response: report.response } : {}),
      };
    });
    expect(result).toBe(response);
    // As Azure's RestError carries the response: diagnosisOf finds it there.
    expect(diagnosisOf({ response: result })?.cause).toBe("secret-key-mismatch");
  });

  it("keeps the offset when one error claims 2099, and says why it did not resend", async () => {
    const t = setup({ aheadMs: 0, inWindow: "bad-signature", errorDate: Date.parse("2099-01-01") });
    await rejection(t.run());
    expect(t.plans).toHaveLength(1);
    expect(t.recovery.signingOffsetMs(HOST)).toBe(0);
  });

  it("reads successes only when it wants a sample (successSampleIntervalMs)", async () => {
    const t = setup({ aheadMs: 5_000 });
    await t.run();
    expect(t.reads()).toBe(1);
    t.advance(500);
    await t.run();
    expect(t.reads()).toBe(1); // 0.5 s after the last sample: not even read
    t.advance(1_000);
    await t.run();
    expect(t.reads()).toBe(2);
  });

  it("reads the host afresh at each use: a failure can show where requests really go", async () => {
    const t = setup();
    let host = "assumed.example";
    const request = {
      get host() {
        return host;
      },
    };
    const result = await t.recovery.run(request, async (plan) => {
      host = "real.example:8443"; // the adapter learnt it from the response
      return t.send(plan);
    });
    expect(result).toBe("stored");
    expect(t.events.every((e) => e.host === "real.example:8443")).toBe(true);
    expect(t.recovery.knows("real.example:8443")).toBe(true);
    expect(t.recovery.knows("assumed.example")).toBe(false);
  });

  it("plans the SDK's own offset when the estimate cannot tell it apart, else its own", async () => {
    // The server agrees with us to within its Date's whole second: the estimate's bounds hold 0.
    const t = setup({ aheadMs: -300 });
    await t.run();
    const estimate = t.recovery.offsets.get(HOST);
    expect(estimate?.lowMs).toBeLessThanOrEqual(0);
    expect(estimate?.highMs).toBeGreaterThanOrEqual(0);
    // Nothing said about the SDK's offset: the local clock, as the bare SDK signs.
    expect(t.recovery.signingOffsetMs(HOST)).toBe(0);
    const inside = Math.round(((estimate?.lowMs ?? 0) + (estimate?.highMs ?? 0)) / 3);
    await t.run({ host: HOST, ownOffsetMs: inside });
    expect(t.plans.at(-1)?.offsetMs).toBe(inside);
    // An SDK offset the evidence rules out (one forged Date taught it 2099) is not planned.
    await t.run({ host: HOST, ownOffsetMs: 40 * 365 * 24 * 60 * MIN });
    expect(t.plans.at(-1)?.offsetMs).toBe(0);
  });

  it("knowing nothing of the endpoint, plans the SDK's own offset within the correction bound", async () => {
    const t = setup({ aheadMs: 20 * MIN });
    // A client configured (or taught) 20 minutes ahead: signed as the bare SDK signs it.
    await t.run({ host: "fresh.example", ownOffsetMs: 20 * MIN });
    expect(t.plans[0]?.offsetMs).toBe(20 * MIN);
    expect(t.plans).toHaveLength(1);
    // Beyond the bound (one forged Date taught the SDK 2099): the local clock instead.
    await t.run({ host: "forged.example", ownOffsetMs: 40 * 365 * 24 * 60 * MIN });
    expect(t.plans.at(-2)?.offsetMs).toBe(0);
  });

  it("signs with an alias's clock until the host has its own", async () => {
    const t = setup();
    await t.run({ host: "api.example" });
    expect(t.recovery.signingOffsetMs("token.example")).toBe(0);
    const learned = t.recovery.signingOffsetMs("api.example");
    expect(t.recovery.signingOffsetMs("token.example", ["api.example"])).toBe(learned);
    expect(t.recovery.knows("token.example", ["api.example"])).toBe(true);
    expect(t.recovery.knows("token.example")).toBe(false);
  });

  it("resends at once when a signature failure's Date disagrees with what was learned", async () => {
    const t = setup({ aheadMs: 20 * MIN });
    await t.run();
    expect(t.recovery.signingOffsetMs(HOST)).toBeGreaterThan(19 * MIN);
    // The server's clock steps back to ours: what was learned is now 20 minutes wrong.
    const stepped = setup({ aheadMs: 0, outOfWindow: "bad-signature" });
    const offsets = t.recovery.offsets;
    const engine = new SkewRecovery("s3", { clock: { now: () => SERVER_NOW }, offsets });
    const result = await engine.run({ host: HOST }, stepped.send);
    expect(result).toBe("stored");
    expect(stepped.plans).toHaveLength(2);
    expect(Math.abs(stepped.plans[1]?.offsetMs ?? Number.NaN)).toBeLessThan(1_000);
  });
});

describe("SkewRecovery.run: corrections beyond the 24-hour bound", () => {
  const DAY = 24 * 60 * MIN;
  const skipped = (events: SkewguardEvent[]) =>
    events.flatMap((e) => (e.type === "recovery.skipped" ? [e] : []));

  it("an SDK that learns the clock: declined and left to it; its retry, accepted, confirms", async () => {
    const t = setup({ aheadMs: 2 * DAY });
    const outcomes: RecoveryOutcome[] = [];
    const request = {
      host: HOST,
      operation: "GetObject",
      sdkClock: true,
      onOutcome: (o: RecoveryOutcome) => outcomes.push(o),
    };
    const error = await rejection(t.run(request));
    expect(t.plans).toEqual([{ offsetMs: 0, resent: false }]);
    expect(outcomes).toEqual([
      { declined: true, reason: "evidence-untrusted", why: expect.any(String), resent: false },
    ]);
    const why = skipped(t.events)[0]?.why ?? "";
    expect(why).toMatch(/\+2d 0h off the local clock, beyond the 24 h one answer may correct/);
    expect(why).toMatch(/signed on the SDK's own clock, exactly as without skewguard/);
    // No fix claims skewguard corrects what it just declined.
    const fixes = diagnosisOf(error)?.fixes ?? [];
    expect(fixes.join("\n")).not.toMatch(/skewguard signs on the server's clock/);
    expect(fixes.join("\n")).toMatch(/skewguard did not correct this request/);
    expect(t.recovery.signingOffsetMs(HOST)).toBe(0);
    // The SDK's retry (or next request) goes as without skewguard, on the SDK's own clock.
    await expect(t.run(request)).resolves.toBe("stored");
    expect(t.plans[1]).toMatchObject({ sdkClock: true, resent: false });
    expect(t.plans).toHaveLength(2);
    expect(outcomes[1]).toEqual({ declined: false, resent: false });
    // Accepted on it: adopted. skewguard signs with it from now on.
    expect(Math.abs(t.recovery.signingOffsetMs(HOST) - 2 * DAY)).toBeLessThan(1_000);
    expect(t.types()).toContain("skew.corrected");
    await expect(t.run(request)).resolves.toBe("stored");
    expect(t.plans[2]).toEqual({ offsetMs: t.recovery.signingOffsetMs(HOST), resent: false });
  });

  it("an SDK that does not: a second answer that agrees gets one resend on it; accepted, adopted", async () => {
    const t = setup({ aheadMs: -30 * DAY });
    await rejection(t.run());
    expect(t.plans).toHaveLength(1);
    expect(skipped(t.events)[0]?.why).toMatch(
      /if the next answer agrees, one request is re-signed/,
    );
    await expect(t.run()).resolves.toBe("stored");
    expect(t.plans).toHaveLength(3);
    expect(Math.abs((t.plans[2]?.offsetMs ?? 0) + 30 * DAY)).toBeLessThan(1_000);
    const resigned = t.events.find((e) => e.type === "request.resigned");
    expect(resigned).toMatchObject({ why: expect.stringMatching(/two answers agree on it/) });
    expect(Math.abs(t.recovery.signingOffsetMs(HOST) + 30 * DAY)).toBeLessThan(1_000);
    await expect(t.run()).resolves.toBe("stored");
    expect(t.plans).toHaveLength(4);
  });

  it("a server claiming 2099 in every signature failure: tried once on it, then never again", async () => {
    const t = setup({
      aheadMs: 20 * MIN,
      errorAheadMs: Date.parse("2099-01-01") - SERVER_NOW,
      outOfWindow: "bad-signature",
    });
    for (let i = 0; i < 2; i++) await rejection(t.run());
    // The second agreeing answer earns 2099 one trial: refused, though not as skewed.
    expect(t.plans).toHaveLength(3);
    for (let i = 0; i < 3; i++) await rejection(t.run());
    expect(t.plans).toHaveLength(6);
    expect(t.recovery.signingOffsetMs(HOST)).toBe(0);
    expect(skipped(t.events).at(-1)?.why).toMatch(/not tried again for a minute/);
    // A minute on (a key fixed meanwhile would be accepted now): one more trial.
    t.advance(HELD_RETRIAL_AFTER_MS);
    await rejection(t.run());
    expect(t.plans).toHaveLength(8);
  });

  it("an SDK's retry signed on a forged 2099 and refused as skewed refutes it for good", async () => {
    const forged = Date.parse("2099-01-01");
    const t = setup({ aheadMs: 20 * MIN, errorDate: forged, outOfWindow: "skewed-date-only" });
    const outcomes: RecoveryOutcome[] = [];
    const request = {
      host: HOST,
      sdkClock: true,
      onOutcome: (o: RecoveryOutcome) => outcomes.push(o),
    };
    await rejection(t.run(request));
    expect(outcomes[0]).toMatchObject({ declined: true, reason: "evidence-untrusted" });
    // The SDK retries on what it learned, 2099, exactly as without skewguard: refused as skewed
    // while the server still claims 2099. A lie: refuted, and not left to the SDK to retry on.
    await rejection(t.run(request));
    expect(t.plans[1]).toMatchObject({ sdkClock: true });
    expect(t.plans).toHaveLength(2);
    expect(t.signedWith[1]).toBeGreaterThan(70 * 365 * DAY);
    expect(outcomes[1]).toEqual({ declined: false, resent: false });
    // From then on: signed on skewguard's clock, 1 attempt, not left to the SDK.
    for (let i = 0; i < 3; i++) await rejection(t.run(request));
    expect(t.plans.slice(2)).toEqual(Array(3).fill({ offsetMs: 0, resent: false }));
    expect(outcomes.slice(2).every((o) => !o.declined)).toBe(true);
    expect(t.recovery.signingOffsetMs(HOST)).toBe(0);
  });

  it("tells the adapter a failure the clock did not cause was handled, not declined", async () => {
    const t = setup({ aheadMs: 0, inWindow: "bad-signature" });
    const outcomes: RecoveryOutcome[] = [];
    await rejection(t.run({ host: HOST, onOutcome: (o) => outcomes.push(o) }));
    expect(outcomes).toEqual([{ declined: false, resent: false }]);
    await rejection(
      t.run({ host: HOST, resendAllowed: false, onOutcome: (o) => outcomes.push(o) }),
    );
    expect(outcomes[1]).toEqual({ declined: false, resent: false });
    const skewed = setup();
    await rejection(
      skewed.run({ host: HOST, resendAllowed: false, onOutcome: (o) => outcomes.push(o) }),
    );
    expect(outcomes[2]).toMatchObject({ declined: true, reason: "resend-disabled" });
  });
});

describe("SkewRecovery options", () => {
  it("rejects nonsense options with a typed error", () => {
    for (const bad of [
      { replayBufferBytes: -1 },
      { possibleSkewThresholdMs: Number.NaN },
      { probeTimeoutMs: -5 },
      { successSampleIntervalMs: Number.POSITIVE_INFINITY },
      { probe: "yes" as never },
      { clock: {} as never },
    ]) {
      let caught: unknown;
      try {
        new SkewRecovery("s3", bad);
      } catch (e) {
        caught = e;
      }
      expect(isSkewguardError(caught) && caught.code).toBe("SKEWGUARD_INVALID_OPTION");
    }
  });
});

describe("SkewRecovery.run with an abort signal", () => {
  it("aborted when the refusal arrives: nothing judged, nothing resent, the refusal as it was", async () => {
    const t = setup();
    const controller = new AbortController();
    let asked = 0;
    const error = await rejection(
      t.recovery.run(
        {
          host: HOST,
          signal: controller.signal,
          replayable: () => {
            asked++;
            return true;
          },
        },
        async (plan) => {
          const report = await t.send(plan);
          controller.abort(); // lands after the answer, before the engine reads it
          return report;
        },
      ),
    );
    expect(t.plans).toHaveLength(1);
    expect(asked).toBe(0);
    expect(t.events).toEqual([]);
    expect(error).toMatchObject({ Code: "RequestTimeTooSkewed" });
    expect(diagnosisOf(error)).toBeUndefined();
  });

  it("aborted during the resend: the abort error reaches the caller unchanged", async () => {
    const t = setup();
    const controller = new AbortController();
    const abortError = Object.assign(new Error("Request aborted"), { name: "AbortError" });
    const outcome = await rejection(
      t.recovery.run({ host: HOST, signal: controller.signal }, async (plan) => {
        if (!plan.resent) return t.send(plan);
        controller.abort();
        return { error: abortError };
      }),
    );
    expect(outcome).toBe(abortError);
    expect(diagnosisOf(abortError)).toBeUndefined();
    expect(t.types()).toContain("request.resigned");
    expect(t.types()).not.toContain("request.recovered");
  });
});
