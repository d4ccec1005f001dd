import { readFileSync, readdirSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RELEASE_TIME_MS, isPlausibleLocalTime, systemClock } from "./clock.js";

describe("systemClock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads the process's wall clock", () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2027-03-04T05:06:07.089Z"));
    expect(systemClock.now()).toBe(Date.parse("2027-03-04T05:06:07.089Z"));
  });

  it("is the only place in the package that reads the wall clock", () => {
    const dir = new URL("./", import.meta.url);
    const sources = readdirSync(dir).filter(
      (name) => name.endsWith(".ts") && !name.endsWith(".test.ts") && name !== "clock.ts",
    );
    // Code only: a doc comment's example may show what a caller writes.
    const code = (name: string) =>
      readFileSync(new URL(name, dir), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
    const offenders = sources.filter((name) =>
      /Date\.now\(|new Date\(\s*\)|performance\.now\(/.test(code(name)),
    );
    expect(offenders).toEqual([]);
  });
});

describe("RELEASE_TIME_MS", () => {
  it("is 2026-11-01T00:00:00Z", () => {
    expect(RELEASE_TIME_MS).toBe(Date.parse("2026-11-01T00:00:00Z"));
  });
});

describe("isPlausibleLocalTime", () => {
  it("rejects a clock that reads earlier than the release", () => {
    expect(isPlausibleLocalTime(0)).toBe(false); // a board without an RTC, booted in 1970
    expect(isPlausibleLocalTime(Date.parse("2024-06-01T00:00:00Z"))).toBe(false);
    expect(isPlausibleLocalTime(RELEASE_TIME_MS - 1)).toBe(false);
  });

  it("accepts the release instant and later", () => {
    expect(isPlausibleLocalTime(RELEASE_TIME_MS)).toBe(true);
    expect(isPlausibleLocalTime(Date.parse("2031-01-01T00:00:00Z"))).toBe(true);
  });

  it("rejects readings that are not numbers of ms", () => {
    expect(isPlausibleLocalTime(Number.NaN)).toBe(false);
    expect(isPlausibleLocalTime(Number.POSITIVE_INFINITY)).toBe(false);
  });
});
