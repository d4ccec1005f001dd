import { describe, expect, it } from "vitest";
import { main } from "../../examples/s3-presign/main.mjs";

const MINUTE = 60_000;

describe("examples/s3-presign", () => {
  it("the SDK's URL is already expired; skewguard's GET and PUT URLs answer 200", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    const [sdk, get, put] = summary.urls;
    expect(sdk).toMatchObject({
      status: 403,
      code: "AccessDenied",
      message: "Request has expired",
    });
    // Asked for 15 minutes, signed 20 minutes in the server's past: expired 5 minutes ago.
    expect(Math.abs((sdk?.remainingByServerMs ?? 0) + 5 * MINUTE)).toBeLessThan(5_000);
    for (const ours of [get, put]) {
      expect(ours).toMatchObject({ signer: "@skewguard/aws-s3", status: 200, bytesMatch: true });
      expect(Math.abs((ours?.remainingByServerMs ?? 0) - 15 * MINUTE)).toBeLessThan(5_000);
    }
    expect([get?.method, put?.method]).toEqual(["GET", "PUT"]);
    // One clock probe, shared by both URLs.
    expect(summary.signingAttempts).toBe(1);
    expect(summary.eventTypes).toContain("skew.detected");

    const text = printed.join("\n");
    expect(text).toMatch(/s3-request-presigner\s+GET\s+expired 5\.\d min ago.*403 AccessDenied/);
    expect(text).toMatch(/@skewguard\/aws-s3\s+PUT\s+1\d\.\d min left.*200 \(bytes match\)/);
  });
});
