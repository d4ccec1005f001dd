import { describe, expect, it } from "vitest";
import type { AttemptPlan, AttemptReport } from "./attempt.js";
import { diagnosisOf } from "./diagnosis-of.js";
import { isSkewguardError } from "./errors.js";
import type { SkewguardEvent } from "./events.js";
import { OffsetStore } from "./offset-store.js";
import { SkewRecovery } from "./recovery.js";

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
  let responsesRead = 0;
  let discarded = 0;
  /** One attempt as an adapter reports it: the SDK error thrown, or the output returned. */
  const send = async (plan: AttemptPlan): Promise<AttemptReport<string>> => {
    plans.push(plan);
    const signedAt = local + plan.offsetMs;
    local += 20; // the round trip
    const serverNow = local + s.aheadMs;
    const inside = Math.abs(serverNow - signedAt) <= s.windowMs;
    const answer = inside ? s.inWindow : s.outOfWindow;
    const date = httpDate(answer === "ok" ? serverNow : (s.errorDate ?? serverNow));
    if (answer === "ok") {
      return {
        value: "stored",
        status: 200,
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
      ...(answer === "skewed"
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
