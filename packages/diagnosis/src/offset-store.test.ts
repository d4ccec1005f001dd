import { describe, expect, it } from "vitest";
import { OffsetStore, getDefaultOffsetStore } from "./offset-store.js";
import type { EstimatorSample } from "./estimator.js";

const T0 = Date.parse("2026-11-23T10:00:00Z");

function sample(offsetMs: number, at = T0): EstimatorSample {
  return {
    sentAt: at,
    receivedAt: at + 10,
    evidence: [
      {
        source: "s3-server-time",
        serverTimeMs: at + 5 + offsetMs,
        resolutionMs: 0,
        fromBody: true,
      },
    ],
  };
}

describe("OffsetStore", () => {
  it("keeps one offset per host and port, case-insensitively", () => {
    const store = new OffsetStore({ clock: { now: () => T0 } });
    store.observe("S3.Example.com:9000", sample(60_000));
    store.observe("s3.example.com:9001", sample(-5_000));
    expect(store.offsetMs("s3.example.com:9000")).toBeCloseTo(60_000, -1);
    expect(store.offsetMs("s3.example.com:9001")).toBeCloseTo(-5_000, -1);
    expect(store.offsetMs("other:1")).toBe(0);
  });

  it("forgets the least recently used host beyond its bound", () => {
    const store = new OffsetStore({ maxHosts: 1000, clock: { now: () => T0 } });
    for (let i = 0; i < 1000; i++) store.observe(`h${i}:1`, sample(1_000));
    store.get("h0:1"); // used: survives
    store.observe("new:1", sample(1_000));
    expect(store.size).toBe(1000);
    expect(store.get("h0:1")).toBeDefined();
    expect(store.get("h1:1")).toBeUndefined();
    expect(store.get("new:1")).toBeDefined();
  });

  it("keeps the order of use when reads alternate between hosts", () => {
    const store = new OffsetStore({ maxHosts: 3, clock: { now: () => T0 } });
    for (const host of ["a:1", "b:1", "c:1"]) store.observe(host, sample(1_000));
    store.get("c:1"); // already the most recent
    store.get("a:1");
    store.get("c:1"); // after a, so c is the most recent again: b is the oldest
    store.observe("d:1", sample(1_000));
    expect(store.get("b:1")).toBeUndefined();
    for (const host of ["a:1", "c:1", "d:1"]) expect(store.get(host)).toBeDefined();
    store.delete("d:1");
    store.observe("e:1", sample(1_000));
    store.observe("f:1", sample(1_000)); // a is the oldest now
    expect(store.get("a:1")).toBeUndefined();
  });

  it("reports the estimate before and after a sample", () => {
    const store = new OffsetStore({ clock: { now: () => T0 } });
    const first = store.observe("h:1", sample(1_000));
    expect(first.previous).toBeUndefined();
    const second = store.observe("h:1", sample(1_000, T0 + 1_000));
    expect(second.previous?.offsetMs).toBe(first.estimate?.offsetMs);
    expect(second.estimate?.samples).toBe(2);
  });

  it("shares one default store across the process", () => {
    expect(getDefaultOffsetStore()).toBe(getDefaultOffsetStore());
  });
});
