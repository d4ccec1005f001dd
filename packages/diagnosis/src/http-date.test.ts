import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHttpDate, utcEpochMs } from "./http-date.js";

const NOV_23 = Date.parse("2026-11-23T10:00:00Z");

describe("parseHttpDate", () => {
  it("reads the IMF-fixdate servers send in Date", () => {
    expect(parseHttpDate("Mon, 23 Nov 2026 10:00:00 GMT")).toBe(NOV_23);
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(784111777000);
  });

  it("reads the obsolete RFC 850 form, two-digit years pivoting at 70", () => {
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(784111777000);
    expect(parseHttpDate("Monday, 23-Nov-26 10:00:00 GMT")).toBe(NOV_23);
  });

  it("reads the obsolete asctime form, with a space-padded or two-digit day", () => {
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).toBe(784111777000);
    expect(parseHttpDate("Mon Nov 23 10:00:00 2026")).toBe(NOV_23);
  });

  it("tolerates surrounding whitespace", () => {
    expect(parseHttpDate("  Mon, 23 Nov 2026 10:00:00 GMT ")).toBe(NOV_23);
  });

  it("accepts a leap second as the start of the next second", () => {
    expect(parseHttpDate("Wed, 31 Dec 2025 23:59:60 GMT")).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["Feb 30", "Mon, 30 Feb 2026 10:00:00 GMT"],
    ["Feb 29 in a common year", "Sun, 29 Feb 2026 10:00:00 GMT"],
    ["Apr 31", "Fri, 31 Apr 2026 10:00:00 GMT"],
    ["hour 24", "Mon, 23 Nov 2026 24:00:00 GMT"],
    ["minute 60", "Mon, 23 Nov 2026 10:60:00 GMT"],
    ["second 61", "Mon, 23 Nov 2026 10:00:61 GMT"],
    ["day 00", "Mon, 00 Nov 2026 10:00:00 GMT"],
    ["before the epoch", "Wed, 31 Dec 1969 23:59:59 GMT"],
    ["a five-digit year", "Mon, 23 Nov 20260 10:00:00 GMT"],
    ["a zone other than GMT", "Mon, 23 Nov 2026 10:00:00 +0000"],
    ["a lower-case month", "Mon, 23 nov 2026 10:00:00 GMT"],
    ["an unknown weekday", "Xyz, 23 Nov 2026 10:00:00 GMT"],
    ["ISO 8601", "2026-11-23T10:00:00Z"],
    ["epoch seconds", "1795428000"],
    ["text over 64 characters", `Mon, 23 Nov 2026 10:00:00 GMT${" ".repeat(40)}`],
  ])("rejects %s", (_, value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });

  it("accepts Feb 29 in a leap year, including 2000", () => {
    expect(parseHttpDate("Thu, 29 Feb 2028 00:00:00 GMT")).toBe(Date.parse("2028-02-29T00:00:00Z"));
    expect(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT")).toBe(Date.parse("2000-02-29T00:00:00Z"));
    expect(parseHttpDate("Thu, 29 Feb 2100 00:00:00 GMT")).toBeUndefined();
  });

  it("round-trips every representable second between 1970 and 9999", () => {
    const maxMs = Date.parse("9999-12-31T23:59:59Z");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: maxMs / 1000 }), (seconds) => {
        const ms = seconds * 1000;
        expect(parseHttpDate(new Date(ms).toUTCString())).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const ms = parseHttpDate(text);
        expect(ms === undefined || Number.isFinite(ms)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("utcEpochMs", () => {
  it("refuses fields that are not whole numbers", () => {
    expect(utcEpochMs(2026, 11, 23, 10, 0, Number.NaN)).toBeUndefined();
    expect(utcEpochMs(2026, 11, 23.5, 10, 0, 0)).toBeUndefined();
    expect(utcEpochMs(2026, 13, 1, 0, 0, 0)).toBeUndefined();
    expect(utcEpochMs(2026, 11, 23, 10, 0, 0)).toBe(NOV_23);
  });
});
