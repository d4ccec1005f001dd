import { describe, expect, it } from "vitest";
import { main } from "../../examples/s3-gcs-hmac/main.mjs";

describe("examples/s3-gcs-hmac", () => {
  it("GCS XML API with HMAC keys, server 20 min behind: the plugin behaves as on S3", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    expect(summary.accessId).toMatch(/^GOOG1/);
    const [bareUpload, bareDownload, bareMissing] = summary.bare;
    expect(bareUpload).toMatchObject({ attempts: 2, status: 200, sdkAttempts: 2 });
    expect(bareDownload).toMatchObject({ attempts: 1, status: 200, bytesMatch: true });
    expect(bareMissing).toMatchObject({ status: 404, code: "NoSuchKey" });
    expect(bareMissing?.attempts).toBeGreaterThan(1);

    expect(summary.wrapped.map((c) => [c.call, c.attempts, c.status, c.retryDelayMs])).toEqual([
      ["upload report.csv", 2, 200, 0],
      ["download report.csv", 1, 200, 0],
      ["get missing.csv", 1, 404, 0],
    ]);
    expect(summary.wrapped[1]?.bytesMatch).toBe(true);
    // GCS's RequestTimeTooSkewed has no ServerTime: the offset comes from Date (whole seconds).
    expect(Math.abs((summary.learnedOffsetMs ?? 0) - summary.serverOffsetMs)).toBeLessThan(3_000);
    expect(summary.eventTypes).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);

    const text = printed.join("\n");
    expect(text).toContain("its clock 20 min 0.0 s behind ours");
    expect(text).toMatch(/get missing\.csv\s+1 attempt\s+404 NoSuchKey\n/);
    expect(text).toMatch(/request\.recovered\s+PutObject offset -(19 min 5\d|20 min [0-2])\.\d s/);
  });
});
