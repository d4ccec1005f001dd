import { INVALID_JWT_TIME } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { main } from "../../examples/gcs-service-account/main.mjs";

describe("examples/gcs-service-account", () => {
  it("the bare client fails with invalid_grant; wrapped, it recovers on 2 grants and reads back", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    expect(summary.bare).toEqual({
      outcome: "failed",
      error: `invalid_grant: ${INVALID_JWT_TIME}`,
      counts: { token: 1, json: 0, xml: 0 },
    });
    expect(summary.wrapped).toMatchObject({
      outcome: "succeeded",
      readBackEqual: true,
      // save, download, list, delete: one request each, on one token.
      counts: { token: 2, json: 4, xml: 0 },
      grants: [400, 200],
      events: ["skew.detected", "skew.corrected", "request.resigned", "request.recovered"],
    });
    expect(Math.abs((summary.wrapped.learnedOffsetMs ?? 0) - summary.skewMs)).toBeLessThan(2_000);

    const text = printed.join("\n");
    expect(text).toContain("failed: invalid_grant: Invalid JWT");
    expect(text).toContain("2 token grant request(s), 4 JSON API request(s)");
    // The offset is learned to within about ±0.5 s of +20 min.
    expect(text).toMatch(
      /request\.recovered +token\.grant, offset \+(19\.9\d|20\.0\d) min, attempts 2/,
    );
    // Nothing secret is printed.
    expect(text).not.toMatch(/PRIVATE KEY|ya29\.|eyJ[\w-]{10,}\./);
  });
});
