import { describe, expect, it } from "vitest";
import { main } from "../../examples/s3-plugin/main.mjs";

describe("examples/s3-plugin", () => {
  it("bare SDK: backoff retry, then futile 404 retries; plugin: 2 attempts, then 1 each", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    const [bareUpload, bareDownload, bareMissing] = summary.bare;
    expect(bareUpload).toMatchObject({ attempts: 2, status: 200, sdkAttempts: 2 });
    expect(bareDownload).toMatchObject({ attempts: 1, status: 200, bytesMatch: true });
    // The SDK's learned offset (>= 240 s) marks the 404 "clock skew corrected": retried.
    expect(bareMissing).toMatchObject({ status: 404, code: "NoSuchKey" });
    expect(bareMissing?.attempts).toBeGreaterThan(1);

    expect(summary.wrapped.map((c) => [c.call, c.attempts, c.status, c.retryDelayMs])).toEqual([
      ["upload report.csv", 2, 200, 0],
      ["download report.csv", 1, 200, 0],
      ["get missing.csv", 1, 404, 0],
    ]);
    expect(summary.wrapped[1]?.bytesMatch).toBe(true);
    expect(summary.wrapped[2]?.code).toBe("NoSuchKey");
    expect(Math.abs((summary.learnedOffsetMs ?? 0) - summary.serverAheadMs)).toBeLessThan(3_000);
    expect(summary.eventTypes).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);

    const text = printed.join("\n");
    expect(text).toMatch(
      /upload report\.csv\s+2 attempts\s+200, SDK retried, slept \d+ ms in backoff/,
    );
    expect(text).toMatch(/get missing\.csv\s+1 attempt\s+404 NoSuchKey\n/);
    // Whole-second evidence: the estimate lands within a second of 20 minutes, on either side.
    expect(text).toMatch(/request\.recovered\s+PutObject offset \+(19 min 5\d|20 min [0-2])\.\d s/);
  });
});
