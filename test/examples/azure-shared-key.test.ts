import { describe, expect, it } from "vitest";
import { main } from "../../examples/azure-shared-key/main.mjs";

describe("examples/azure-shared-key", () => {
  it("bare SDK: every call refused once; wrapped: 2 attempts, then 1, bytes read back", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    expect(summary.bare.map((c) => c.attempts)).toEqual([1, 1, 1]);
    for (const call of summary.bare) {
      expect(call).toMatchObject({ status: 403, code: "AuthenticationFailed" });
      expect(call.detail).toMatch(/^Request date header too old: '/);
    }
    expect(summary.wrapped.map((c) => [c.call, c.attempts, c.status])).toEqual([
      ["create container", 2, 201],
      ["upload q4.csv", 1, 201],
      ["download q4.csv", 1, 200],
    ]);
    expect(summary.wrapped[2]?.bytesMatch).toBe(true);
    expect(Math.abs((summary.learnedOffsetMs ?? 0) - summary.serverAheadMs)).toBeLessThan(3_000);
    expect(summary.eventTypes).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);

    const text = printed.join("\n");
    expect(text).toContain("403 AuthenticationFailed: Request date header too old");
    expect(text).toMatch(/create container\s+2 attempts\s+201/);
    expect(text).toMatch(/download q4\.csv\s+1 attempt\s+200 \(bytes match\)/);
    // The offset to within the Date header's second, printed in tenths (never "60.0 s").
    expect(text).toMatch(
      /request\.recovered\s+CreateContainer offset \+(19 min 5\d|20 min [0-2])\.\d s/,
    );
  });
});
