import { describe, expect, it } from "vitest";
import { timedClaims } from "./jwt-claims.js";

describe("timedClaims", () => {
  it("re-reads the clock and offset at every merge, as gtoken merges them at each grant", () => {
    let localMs = Date.parse("2026-11-23T10:00:00.000Z");
    let offsetMs = 0;
    const claims = timedClaims({ target: "x" }, () => ({ localMs, offsetMs }));

    const first = Object.assign({ iat: 1, exp: 2 }, claims);
    localMs += 5_000;
    offsetMs = -20 * 60_000;
    const second = Object.assign({ iat: 1, exp: 2 }, claims);

    expect(first).toEqual({ iat: 1_795_428_000, exp: 1_795_431_600, target: "x" });
    expect(second.iat).toBe(1_795_428_000 + 5 - 1200);
    expect(second.exp - second.iat).toBe(3600);
  });

  it("never lets exp drift a second past iat + 3600 when the clock crosses a second", () => {
    let localMs = Date.parse("2026-11-23T10:00:00.999Z");
    const claims = timedClaims(undefined, () => ({ localMs: localMs++, offsetMs: 0 }));
    const merged = Object.assign({}, claims) as { iat: number; exp: number };
    expect(merged.exp - merged.iat).toBe(3600);
  });

  it("keeps the user's claims and replaces only iat/exp", () => {
    const claims = timedClaims({ iat: 5, exp: 6, aud: "a" }, () => ({ localMs: 0, offsetMs: 0 }));
    expect(Object.keys(claims)).toEqual(["aud", "iat", "exp"]);
    expect({ ...claims }).toEqual({ aud: "a", iat: 0, exp: 3600 });
  });
});
