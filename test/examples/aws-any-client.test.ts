import { describe, expect, it } from "vitest";
import { main } from "../../examples/aws-any-client/main.mjs";

describe("examples/aws-any-client", () => {
  it("bare SDK: backoff retries and a futile retried ValidationException; plugin: 2 attempts, then 1", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });

    const byCall = (calls: typeof summary.bare) =>
      calls.map((c) => [c.call, c.attempts, c.status, c.code]);
    // The bare SDK recovers each client's first call by a retry after a backoff...
    for (const call of [summary.bare[0], summary.bare[3], summary.bare[4]]) {
      expect(call).toMatchObject({ attempts: 2, status: 200, sdkAttempts: 2 });
    }
    // ...and then retries an error the clock did not cause ("clock skew corrected").
    expect(summary.bare[2]).toMatchObject({ status: 400, code: "ValidationException" });
    expect(summary.bare[2]?.attempts).toBeGreaterThan(1);

    expect(byCall(summary.wrapped)).toEqual([
      ["DynamoDB PutItem", 2, 200, undefined],
      ["DynamoDB GetItem", 1, 200, undefined],
      ["DynamoDB PutItem, no key", 1, 400, "ValidationException"],
      ["SQS SendMessage", 2, 200, undefined],
      ["STS GetCallerIdentity", 2, 200, undefined],
    ]);
    // Inside one SDK attempt each: no retry, no backoff.
    for (const call of summary.wrapped) {
      expect(call).toMatchObject({ sdkAttempts: 1, retryDelayMs: 0 });
    }
    const recovery = ["skew.detected", "skew.corrected", "request.resigned", "request.recovered"];
    expect(summary.eventTypes).toEqual([...recovery, ...recovery, ...recovery]);
    for (const offsetMs of summary.recoveredOffsetsMs) {
      expect(Math.abs((offsetMs ?? 0) - summary.serverOffsetMs)).toBeLessThan(3_000);
    }

    const text = printed.join("\n");
    expect(text).toMatch(/DynamoDB PutItem, no key\s+1 attempt\s+400 ValidationException\n/);
    expect(text).toMatch(
      /request\.recovered\s+GetCallerIdentity\s+offset -(19 min 5\d|20 min [0-2])\.\d s/,
    );
  });
});
