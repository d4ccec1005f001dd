import { describe, expect, it } from "vitest";
import { main } from "../../examples/s3-presigned-post/main.mjs";

const MINUTE = 60_000;

describe("examples/s3-presigned-post", () => {
  it("the SDK's policy is already expired; skewguard's form uploads (204)", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    const [sdk, ours] = summary.posts;
    expect(sdk).toMatchObject({
      signer: "@aws-sdk/s3-presigned-post",
      status: 403,
      code: "AccessDenied",
      message: "Invalid according to Policy: Policy expired.",
    });
    // Asked for 10 minutes, signed 20 minutes in the server's past: expired 10 minutes ago.
    expect(Math.abs((sdk?.remainingByServerMs ?? 0) + 10 * MINUTE)).toBeLessThan(5_000);
    expect(ours).toMatchObject({ signer: "@skewguard/aws-s3", status: 204, bytesMatch: true });
    expect(Math.abs((ours?.remainingByServerMs ?? 0) - 10 * MINUTE)).toBeLessThan(5_000);
    expect(summary.sameFieldNames).toBe(true);
    // One clock probe.
    expect(summary.signingAttempts).toBe(1);
    expect(summary.eventTypes).toContain("skew.detected");

    const text = printed.join("\n");
    expect(text).toMatch(/s3-presigned-post\s+POST\s+expired 10\.\d min ago.*403 AccessDenied/);
    expect(text).toMatch(/@skewguard\/aws-s3\s+POST\s+\d+\.\d min left.*204 \(bytes match\)/);
  });
});
