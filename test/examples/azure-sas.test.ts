import { describe, expect, it } from "vitest";
import { main } from "../../examples/azure-sas/main.mjs";

const MINUTE = 60_000;

describe("examples/azure-sas", () => {
  it("the SDK's 10-minute link is already expired by the server's clock; skewguard's works", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    // Create container (re-signed once) and upload.
    expect(summary.setupAttempts).toBe(3);
    expect(summary.sdk).toMatchObject({ status: 403, attempts: 1, hasStart: false });
    expect(summary.sdk.detail).toMatch(/^Signature not valid in the specified time frame: /);
    expect(Math.abs(summary.sdk.lifetimeLeftMs + 10 * MINUTE)).toBeLessThan(5_000);

    expect(summary.skewguard).toMatchObject({
      status: 200,
      attempts: 1,
      bytesMatch: true,
      hasStart: true,
    });
    expect(Math.abs(summary.skewguard.lifetimeLeftMs - 10 * MINUTE)).toBeLessThan(5_000);
    expect(summary.eventTypes).toContain("request.recovered");

    const text = printed.join("\n");
    expect(text).toMatch(/blob\.generateSasUrl .*expired 10 min ago .*-> 403: Signature not valid/);
    expect(text).toMatch(/generateBlobSasUrl .*valid 10 more min .*-> 200, the file/);
  });
});
