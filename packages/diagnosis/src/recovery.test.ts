import { describe, expect, it } from "vitest";
import type { SkewguardEvent } from "./events.js";
import { OffsetStore } from "./offset-store.js";
import { SkewRecovery } from "./recovery.js";
import { isSkewguardError } from "./errors.js";
import type { Observation } from "./types.js";

const SERVER_NOW = Date.parse("2026-11-23T10:00:00Z");
const MIN = 60_000;

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function skewedBody(requestMs: number, serverMs: number): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>${iso(requestMs)}</RequestTime><ServerTime>${iso(serverMs)}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
}

/** A client 15 minutes behind a server, with a fake local clock and its own store. */
function setup() {
  let local = SERVER_NOW - 15 * MIN;
  const events: SkewguardEvent[] = [];
  const clock = { now: () => local };
  const recovery = new SkewRecovery("s3", {
    clock,
    offsets: new OffsetStore({ clock }),
    onEvent: (e) => events.push(e),
  });
  const failed = (over: Partial<Observation> = {}): Observation => {
    const sentAt = local;
    local += 20;
    return {
      provider: "s3",
      host: "127.0.0.1:9000",
      operation: "PutObject",
      sentAt,
      receivedAt: local,
      status: 403,
      headers: { date: httpDate(sentAt + 15 * MIN + 10), "x-amz-request-id": "4442587FB7D0A2F9" },
      body: skewedBody(sentAt, sentAt + 15 * MIN + 10),
      signed: { offsetMs: recovery.offsetMs("127.0.0.1:9000"), signedAtMs: sentAt },
      ...over,
    };
  };
  return { recovery, events, failed, advance: (ms: number) => (local += ms) };
}

describe("SkewRecovery", () => {
  it("learns the server's clock from a skew error and resends once, at once", () => {
    const { recovery, events, failed } = setup();
    const result = recovery.observe(failed(), { replayable: true, resendAllowed: true });
    expect(result.decision.action).toBe("resend");
    expect(result.decision.offsetMs).toBeGreaterThan(15 * MIN - 100);
    expect(result.decision.offsetMs).toBeLessThan(15 * MIN + 100);
    expect(recovery.offsetMs("127.0.0.1:9000")).toBe(result.decision.offsetMs);
    expect(events.map((e) => e.type)).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
    ]);
    expect(events[0]).toMatchObject({
      provider: "s3",
      host: "127.0.0.1:9000",
      operation: "PutObject",
      requestId: "4442587FB7D0A2F9",
    });
  });

  it("stops after a resend on the corrected clock fails the same way, naming the key", () => {
    const { recovery, events, failed } = setup();
    recovery.observe(failed(), { replayable: true, resendAllowed: true });
    const again = recovery.observe(
      failed({
        status: 403,
        body: "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        resent: true,
      }),
      { replayable: true, resendAllowed: true },
    );
    expect(again.decision.action).toBe("return");
    expect(again.diagnosis?.cause).toBe("secret-key-mismatch");
    expect(events.slice(-2)).toMatchObject([
      {
        type: "signature.diagnosed",
        diagnosis: { cause: "secret-key-mismatch", confidence: "high" },
      },
      { type: "recovery.skipped", reason: "not-clock" },
    ]);
  });

  it("reports a skip when the body cannot be replayed", () => {
    const { recovery, events, failed } = setup();
    const result = recovery.observe(failed(), { replayable: false, resendAllowed: true });
    expect(result.decision).toMatchObject({ action: "return", skipReason: "body-not-replayable" });
    expect(result.diagnosis?.cause).toBe("clock-behind");
    expect(events.map((e) => e.type)).toContain("recovery.skipped");
  });

  it("keeps the offset when a response claims 2099", () => {
    const { recovery, failed } = setup();
    recovery.observe(failed(), { replayable: true, resendAllowed: true });
    const before = recovery.offsetMs("127.0.0.1:9000");
    const wild = failed({
      status: 404,
      body: "<Error><Code>NoSuchKey</Code></Error>",
      headers: { date: "Thu, 01 Jan 2099 00:00:00 GMT" },
    });
    const result = recovery.observe(wild, { replayable: true, resendAllowed: true });
    expect(result.decision.action).toBe("return");
    expect(recovery.offsetMs("127.0.0.1:9000")).toBe(before);
  });

  it("never resends a 404, and emits nothing for it", () => {
    const { recovery, events, failed } = setup();
    const result = recovery.observe(
      failed({ status: 404, body: "<Error><Code>NoSuchKey</Code></Error>" }),
      { replayable: true, resendAllowed: true },
    );
    expect(result.decision.action).toBe("return");
    expect(
      events.filter((e) => e.type === "recovery.skipped" || e.type === "request.resigned"),
    ).toEqual([]);
  });

  it("reports a recovery with its cost", () => {
    const { recovery, events, failed } = setup();
    const first = failed();
    recovery.observe(first, { replayable: true, resendAllowed: true });
    recovery.recovered(failed({ status: 200, body: "" }), 2, first.sentAt);
    expect(events.at(-1)).toMatchObject({
      type: "request.recovered",
      attempts: 2,
      extraLatencyMs: 20,
    });
  });

  it("rejects nonsense options with a typed error", () => {
    for (const bad of [
      { replayBufferBytes: -1 },
      { possibleSkewThresholdMs: Number.NaN },
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

describe("SkewRecovery after a clock step", () => {
  it("resends at once when a signature failure's Date disagrees with what was learned", () => {
    let local = SERVER_NOW;
    const clock = { now: () => local };
    const events: SkewguardEvent[] = [];
    const recovery = new SkewRecovery("s3", {
      clock,
      offsets: new OffsetStore({ clock }),
      onEvent: (e) => events.push(e),
    });
    const host = "127.0.0.1:9000";
    // Learned: the server is 20 minutes ahead.
    recovery.sample({
      provider: "s3",
      host,
      sentAt: local,
      receivedAt: local + 10,
      status: 200,
      headers: { date: httpDate(local + 20 * MIN) },
    });
    local += 60_000;
    // The server's clock steps back to ours; a request signed at +20 min fails without time in the body.
    const result = recovery.observe(
      {
        provider: "s3",
        host,
        sentAt: local,
        receivedAt: local + 10,
        status: 403,
        headers: { date: httpDate(local) },
        body: "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        signed: { offsetMs: recovery.offsetMs(host) },
      },
      { replayable: true, resendAllowed: true },
    );
    expect(result.decision.action).toBe("resend");
    expect(Math.abs(result.decision.offsetMs ?? Number.NaN)).toBeLessThan(1_000);
  });

  it("reports nothing for a policy denial with the clocks right", () => {
    const local = SERVER_NOW;
    const clock = { now: () => local };
    const events: SkewguardEvent[] = [];
    const recovery = new SkewRecovery("s3", {
      clock,
      offsets: new OffsetStore({ clock }),
      onEvent: (e) => events.push(e),
    });
    const result = recovery.observe(
      {
        provider: "s3",
        host: "h:1",
        sentAt: local,
        receivedAt: local + 10,
        status: 403,
        headers: { date: httpDate(local) },
        body: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
      },
      { replayable: true, resendAllowed: true },
    );
    expect(result.decision.action).toBe("return");
    expect(result.diagnosis).toBeUndefined();
    expect(
      events.filter((e) => e.type === "recovery.skipped" || e.type === "signature.diagnosed"),
    ).toEqual([]);
  });
});

describe("SkewRecovery success sampling", () => {
  function success(at: number, serverMs: number): Observation {
    return {
      provider: "s3",
      host: "h:1",
      sentAt: at,
      receivedAt: at + 10,
      status: 200,
      headers: { date: httpDate(serverMs) },
    };
  }

  it("skips successes within successSampleIntervalMs of the last sample, never failures", () => {
    let local = SERVER_NOW;
    const clock = { now: () => local };
    const offsets = new OffsetStore({ clock });
    const recovery = new SkewRecovery("s3", { clock, offsets });
    recovery.sample(success(local, local + 5 * MIN));
    const first = offsets.peek("h:1");
    local += 500;
    recovery.sample(success(local, local + 5 * MIN));
    expect(offsets.peek("h:1")).toBe(first); // not parsed: 0.5 s after the last sample
    local += 600;
    recovery.sample(success(local, local + 5 * MIN));
    expect(offsets.peek("h:1")?.samples).toBe(2); // 1.1 s after: taken
  });

  it("samples every success with successSampleIntervalMs: 0", () => {
    let local = SERVER_NOW;
    const clock = { now: () => local };
    const offsets = new OffsetStore({ clock });
    const recovery = new SkewRecovery("s3", { clock, offsets, successSampleIntervalMs: 0 });
    for (let i = 0; i < 3; i++) {
      recovery.sample(success(local, local + 5 * MIN));
      local += 100;
    }
    expect(offsets.peek("h:1")?.samples).toBe(3);
  });
});
