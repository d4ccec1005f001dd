import { describe, expect, it } from "vitest";
import { main } from "../../examples/s3-multipart-upload/main.mjs";

describe("examples/s3-multipart-upload", () => {
  it("both uploads store identical bytes; skewguard resends each refused request within the SDK's first attempt", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    const [bare, wrapped] = summary.runs;
    for (const run of [bare, wrapped]) {
      expect(run).toMatchObject({ ok: true, sameBytes: true });
      expect(Object.keys(run?.perPart ?? {}).sort()).toEqual(["1", "2", "3", "4"]);
      // The step refuses the parts signed before it was seen, once each.
      for (const count of Object.values(run?.perPart ?? {})) expect(count).toBeLessThanOrEqual(2);
      expect(run?.refused).toBeGreaterThanOrEqual(2);
    }
    // The bare SDK recovers on its attempt 2, after a backoff; skewguard inside attempt 1.
    expect(bare?.maxSdkAttempt).toBe(2);
    expect(wrapped?.maxSdkAttempt).toBe(1);
    expect(wrapped?.eventTypes).toContain("request.recovered");
    expect(wrapped?.eventTypes.filter((type) => type === "request.resigned")).toHaveLength(
      wrapped?.refused ?? -1,
    );

    const text = printed.join("\n");
    expect(text).toMatch(/bare SDK:[\s\S]*stored, bytes identical/);
    expect(text).toMatch(/with skewguard:[\s\S]*highest SDK attempt 1/);
  }, 60_000);
});
