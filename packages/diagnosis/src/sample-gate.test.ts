import { describe, expect, it } from "vitest";
import { OffsetStore } from "./offset-store.js";
import { SkewRecovery } from "./recovery.js";
import { SampleGate } from "./sample-gate.js";

const HOST = "storage.example:443";
const START = Date.parse("2026-12-05T10:00:00.500Z");

function setup(options: { successSampleIntervalMs?: number } = {}) {
  let local = START;
  const clock = { now: () => local };
  const recovery = new SkewRecovery("gcs", {
    clock,
    offsets: new OffsetStore({ clock }),
    ...options,
  });
  const gate = new SampleGate(recovery);
  /** One answer read: sent and received at the local time, its Date the server's (20 s ahead). */
  const read = () =>
    recovery.sample({
      provider: "gcs",
      host: HOST,
      operation: "api.request",
      sentAt: local,
      receivedAt: local,
      status: 200,
      headers: { date: new Date(local + 20_000).toUTCString() },
    });
  /** What the gate decides for a request sent now: quiet, or asked with the host. */
  const watched = () => !gate.quiet(local) && gate.wants(HOST, local);
  return {
    read,
    watched,
    gate,
    at: (ms: number) => {
      local = ms;
    },
  };
}

describe("SampleGate", () => {
  it("watches while nothing is known, then once per interval, quiet between", () => {
    const { read, watched, at } = setup();
    expect(watched()).toBe(true);
    expect(read()?.offsetMs).toBeGreaterThan(19_000);

    at(START + 10);
    expect(watched()).toBe(false);
    at(START + 999);
    expect(watched()).toBe(false);
    // The interval (1 s by default) is over: the next request is watched, and so is every one
    // until an answer is read.
    at(START + 1_000);
    expect(watched()).toBe(true);
    expect(watched()).toBe(true);
    read();
    at(START + 1_500);
    expect(watched()).toBe(false);
  });

  it("decides quiet requests without the engine; the window ends where the engine's interval does", () => {
    const { read, gate, at } = setup({ successSampleIntervalMs: 5_000 });
    read();
    at(START + 100);
    expect(gate.wants(HOST, START + 100)).toBe(false);
    expect(gate.quiet(START + 100)).toBe(true);
    expect(gate.quiet(START + 4_999)).toBe(true);
    expect(gate.quiet(START + 5_000)).toBe(false);
  });

  it("leaves the window when the local clock steps back", () => {
    const { read, watched, gate, at } = setup();
    read();
    at(START + 200);
    expect(watched()).toBe(false);
    at(START - 60_000);
    expect(gate.quiet(START - 60_000)).toBe(false);
    expect(watched()).toBe(true);
  });

  it("watches every request when successes are always read (interval 0)", () => {
    const { read, watched, at } = setup({ successSampleIntervalMs: 0 });
    read();
    at(START + 1);
    expect(watched()).toBe(true);
    read();
    expect(watched()).toBe(true);
  });
});
