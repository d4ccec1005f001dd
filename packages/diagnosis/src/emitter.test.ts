import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import { createEventSink } from "./emitter.js";
import type { SkewguardEvent } from "./events.js";

const SIG = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL";

function skipped(why: string): SkewguardEvent {
  return {
    type: "recovery.skipped",
    time: "2026-11-23T10:00:00.000Z",
    provider: "azure",
    host: "127.0.0.1:10000",
    reason: "not-clock",
    why,
  };
}

describe("createEventSink", () => {
  it("delivers one redacted event to the callback, the logger and the channel", () => {
    const seen: unknown[] = [];
    const logged: [string, object, string | undefined][] = [];
    const published: unknown[] = [];
    const listener = (message: unknown) => published.push(message);
    diagnosticsChannel.subscribe("skewguard:recovery.skipped", listener);
    try {
      const sink = createEventSink({
        onEvent: (e) => seen.push(e),
        logger: {
          warn: (obj, msg) => logged.push(["warn", obj, msg]),
          info: (obj, msg) => logged.push(["info", obj, msg]),
        },
      });
      sink.emit(skipped(`Authorization: SharedKey acct:${SIG}`));
    } finally {
      diagnosticsChannel.unsubscribe("skewguard:recovery.skipped", listener);
    }
    expect(seen).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.[0]).toBe("warn");
    expect(logged[0]?.[2]).toBe("skewguard recovery.skipped");
    expect(JSON.stringify([seen, published, logged])).not.toContain(SIG);
    expect((seen[0] as { why: string }).why).toBe("Authorization: [REDACTED]");
  });

  it("never lets a throwing listener reach the caller", () => {
    const sink = createEventSink({
      onEvent: () => {
        throw new Error("listener bug");
      },
      logger: {
        warn: () => {
          throw new Error("logger bug");
        },
      },
    });
    expect(() => sink.emit(skipped("x"))).not.toThrow();
  });

  it("logs routine healing at info when the logger has it, else at warn", () => {
    const levels: string[] = [];
    const event: SkewguardEvent = {
      ...skipped("x"),
      type: "request.recovered",
      attempts: 2,
      extraLatencyMs: 3,
    } as SkewguardEvent;
    createEventSink({
      logger: { warn: () => levels.push("warn"), info: () => levels.push("info") },
    }).emit(event);
    createEventSink({ logger: { warn: () => levels.push("warn") } }).emit(event);
    expect(levels).toEqual(["info", "warn"]);
  });
});
