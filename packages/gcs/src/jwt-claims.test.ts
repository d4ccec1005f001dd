import { describe, expect, it } from "vitest";
import { timedClaims } from "./jwt-claims.js";

const seconds = (ms: number) => Math.floor(ms / 1000);

describe("timedClaims", () => {
  it("asks for the issue time at every merge, as gtoken merges the claims at each grant", () => {
    let serverMs = Date.parse("2026-11-23T10:00:00.000Z");
    const claims = timedClaims({ target: "x" }, () => seconds(serverMs));

    const first = Object.assign({ iat: 1, exp: 2 }, claims);
    serverMs += 5_000 - 20 * 60_000;
    const second = { iat: 1, exp: 2, ...claims };

    expect(first).toEqual({ iat: 1_795_428_000, exp: 1_795_431_600, target: "x" });
    expect(second.iat).toBe(1_795_428_000 + 5 - 1200);
    expect(second.exp - second.iat).toBe(3600);
  });

  it("never lets exp drift a second past iat + 3600 when the clock crosses a second", () => {
    let serverMs = Date.parse("2026-11-23T10:00:00.999Z");
    const claims = timedClaims(undefined, () => seconds(serverMs++));
    const merged = Object.assign({}, claims) as { iat: number; exp: number };
    expect(merged.exp - merged.iat).toBe(3600);
  });

  it("keeps the user's claims and replaces only iat/exp", () => {
    const claims = timedClaims({ iat: 5, exp: 6, aud: "a" }, () => 0);
    expect(Object.keys(claims)).toEqual(["aud", "iat", "exp"]);
    expect({ ...claims }).toEqual({ aud: "a", iat: 0, exp: 3600 });
  });
});
