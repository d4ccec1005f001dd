import { describe, expect, it } from "vitest";
import { main } from "../../examples/gcs-signed-url/main.mjs";

describe("examples/gcs-signed-url", () => {
  it("the library's URL is expired on arrival and diagnosed; skewguard's reads and writes", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    expect(summary.bare).toEqual({
      status: 400,
      code: "ExpiredToken",
      diagnosis: "presigned-expired",
    });
    expect(summary.skewguard).toEqual({
      status: 200,
      body: "quarterly numbers\n",
      putStatus: 200,
      storedEqual: true,
    });
    // One HEAD probe taught the clock; then the three fetches. Signing needs no token.
    expect(summary.counts).toEqual({ token: 0, json: 0, xml: 4 });
    expect(summary.events).toEqual(["skew.detected", "skew.corrected", "signature.diagnosed"]);

    const text = printed.join("\n");
    expect(text).toContain("GET  400 ExpiredToken");
    expect(text).toContain('GET  200 "quarterly numbers\\n"');
    expect(text).toMatch(/diagnosis: presigned-expired: .*behind the server's/);
    expect(text).not.toMatch(/X-Goog-Signature|PRIVATE KEY/);
  });
});
