import { describe, expect, it } from "vitest";
import { MESSAGE_CODES, PRESIGNED_COMPLAINTS, TIME_COMPLAINTS } from "./constants.js";
import { DISABLED_IDENTITY, TOO_LONG } from "./diagnose.js";

/**
 * The patterns run over whole error messages and bodies a server (or an attacker in its place)
 * wrote, up to 64 KiB. An unbounded gap (`.*`, `.+`) between two words costs a scan to the end
 * for every occurrence of the first word: 64 KiB repeating it took 1.5 s per pattern. Gaps are
 * written with a bound instead (`.{0,200}`).
 */
const PATTERNS: readonly RegExp[] = [
  ...TIME_COMPLAINTS,
  ...PRESIGNED_COMPLAINTS,
  ...MESSAGE_CODES.map(([pattern]) => pattern),
  DISABLED_IDENTITY,
  TOO_LONG,
];

describe("message patterns", () => {
  it.each(PATTERNS.map((p) => [p.source, p] as const))("%s has no unbounded gap", (_, pattern) => {
    expect(pattern.source).not.toMatch(/(?<!\\)\.[*+]/);
  });

  it("still match the real phrases across a bounded gap", () => {
    const said = (text: string) => TIME_COMPLAINTS.some((p) => p.test(text));
    expect(said("Invalid JWT: Token must be a short-lived token and the JWT has expired")).toBe(
      true,
    );
    expect(said("Request date header not yet valid")).toBe(true);
    expect(said(`jwt ${"x".repeat(300)} expired`)).toBe(false);
    expect(
      PRESIGNED_COMPLAINTS.some((p) =>
        p.test("Signed expiry time [Mon, 23 Nov 2026] must be after signed start time [Tue]"),
      ),
    ).toBe(true);
  });
});
