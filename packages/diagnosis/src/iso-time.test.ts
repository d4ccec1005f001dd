import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIsoTime } from "./iso-time.js";

const NOV_23 = Date.parse("2026-11-23T10:00:00Z");

describe("parseIsoTime", () => {
  it("reads S3's whole-second ServerTime with a one-second resolution", () => {
    expect(parseIsoTime("2026-11-23T10:00:00Z")).toEqual({ ms: NOV_23, resolutionMs: 1000 });
  });

  it("reads milliseconds exactly", () => {
    expect(parseIsoTime("2026-11-23T10:00:00.123Z")).toEqual({ ms: NOV_23 + 123, resolutionMs: 1 });
    expect(parseIsoTime("2026-11-23T10:00:00.000Z")).toEqual({ ms: NOV_23, resolutionMs: 1 });
  });

  it("truncates Azure's 7 fractional digits to the millisecond", () => {
    expect(parseIsoTime("2026-11-23T10:00:00.1239999Z")).toEqual({
      ms: NOV_23 + 123,
      resolutionMs: 1,
    });
  });

  it("sizes the resolution by the digits given", () => {
    expect(parseIsoTime("2026-11-23T10:00:00.5Z")).toEqual({ ms: NOV_23 + 500, resolutionMs: 100 });
    expect(parseIsoTime("2026-11-23T10:00:00.25Z")).toEqual({ ms: NOV_23 + 250, resolutionMs: 10 });
  });

  it("reads SigV4's compact form", () => {
    expect(parseIsoTime("20261123T100000Z")).toEqual({ ms: NOV_23, resolutionMs: 1000 });
  });

  it("applies zone offsets (GCS writes +00:00)", () => {
    expect(parseIsoTime("2026-11-23T10:00:00+00:00")?.ms).toBe(NOV_23);
    expect(parseIsoTime("2026-11-23T11:30:00+01:30")?.ms).toBe(NOV_23);
    expect(parseIsoTime("2026-11-23T05:00:00-05:00")?.ms).toBe(NOV_23);
  });

  it.each([
    undefined,
    "",
    "2026-02-30T10:00:00Z",
    "2026-11-23T25:00:00Z",
    "2026-11-23T10:00:00",
    "2026-11-23 10:00:00Z",
    "1969-12-31T23:59:59Z",
    "2026-11-23T10:00:00.1234567890Z",
    "2026-11-23T10:00:00+24:00",
    "20261323T100000Z",
    "Mon, 23 Nov 2026 10:00:00 GMT",
    `2026-11-23T10:00:00Z${" ".repeat(40)}`,
  ])("rejects %j", (value) => {
    expect(parseIsoTime(value)).toBeUndefined();
  });

  it("agrees with toISOString for every millisecond it can print", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.parse("9999-12-31T23:59:59.999Z") }), (ms) => {
        expect(parseIsoTime(new Date(ms).toISOString())).toEqual({ ms, resolutionMs: 1 });
      }),
      { numRuns: 2000 },
    );
  });
});
