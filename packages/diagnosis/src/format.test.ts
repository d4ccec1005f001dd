import { describe, expect, it } from "vitest";
import { describeOffset, formatDuration, formatIso, formatMs } from "./format.js";

const MIN = 60_000;

describe("formatDuration", () => {
  it("prints under a second as milliseconds, and tenths of a second above", () => {
    expect(formatDuration(450)).toBe("450ms");
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(999.4)).toBe("999ms");
    expect(formatDuration(999.6)).toBe("1s");
    expect(formatDuration(2_500)).toBe("2.5s");
    expect(formatDuration(-15 * MIN - 300)).toBe("15m 0.3s");
    expect(formatDuration(1_200_437)).toBe("20m 0.4s");
    expect(formatDuration(3_600_000 + 2 * MIN)).toBe("1h 2m 0s");
  });

  it("never carries 60 seconds, or 24 hours, into the display", () => {
    expect(formatDuration(179_987)).toBe("3m 0s");
    expect(formatDuration(59_970)).toBe("1m 0s");
    expect(formatDuration(20 * MIN - 30)).toBe("20m 0s");
    expect(formatDuration(86_399_960)).toBe("1d 0h");
  });

  it("prints days and hours from a day up (a clock decades off stays readable)", () => {
    expect(formatDuration(3 * 86_400_000 + 5 * 3_600_000)).toBe("3d 5h");
    expect(formatDuration(-56 * 365 * 86_400_000)).toBe("20440d 0h");
  });

  it("says what a non-finite value is instead of printing NaNms", () => {
    expect(formatDuration(Number.NaN)).toBe("NaN");
    expect(formatDuration(Number.NEGATIVE_INFINITY)).toBe("Infinity");
  });
});

describe("formatMs", () => {
  it("is formatDuration with the sign always written", () => {
    expect(formatMs(-15 * MIN - 300)).toBe("-15m 0.3s");
    expect(formatMs(2_500)).toBe("+2.5s");
    expect(formatMs(3_600_000 + 2 * MIN)).toBe("+1h 2m 0s");
    expect(formatMs(450)).toBe("+450ms");
    expect(formatMs(-20)).toBe("-20ms");
  });

  it("never prints -0ms", () => {
    expect(formatMs(-0.4)).toBe("+0ms");
    expect(formatMs(-0)).toBe("+0ms");
    expect(formatMs(-0.6)).toBe("-1ms");
  });
});

describe("formatIso", () => {
  it("writes UTC ISO 8601 and refuses impossible instants", () => {
    expect(formatIso(Date.UTC(2026, 10, 23, 10))).toBe("2026-11-23T10:00:00.000Z");
    expect(formatIso(undefined)).toBeUndefined();
    expect(formatIso(Number.NaN)).toBeUndefined();
    expect(formatIso(8.64e15 + 1)).toBeUndefined();
  });
});

describe("describeOffset", () => {
  it("says which way the clock is off", () => {
    expect(describeOffset(1_200_000)).toBe("20m 0s behind the server's");
    expect(describeOffset(-2_500)).toBe("2.5s ahead of the server's");
    expect(describeOffset(-450)).toBe("450ms ahead of the server's");
    expect(describeOffset(0.3)).toBe("in step with the server's");
  });
});
