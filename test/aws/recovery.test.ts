import { diagnosisOf } from "@skewguard/aws";
import type { AwsServiceTestServerOptions } from "@skewguard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import {
  MINUTE,
  type Outcome,
  SECRET,
  type ServiceName,
  atLeastAsGood,
  awsClient,
  awsServer,
  describeOutcome,
  endpointOf,
  outcome,
  printTable,
} from "./fixtures.js";

/**
 * Real DynamoDB, SQS and STS clients (AWS SDK v3) against the testkit's SigV4 endpoint, bare and
 * with `@skewguard/aws`, side by side: the wrapped client's first call costs 2 requests (one
 * immediate re-signed resend inside one SDK attempt), every later call 1, and it never ends
 * worse than the bare SDK.
 */

const SKEWS: Array<[string, number, AwsServiceTestServerOptions]> = [
  ["+20 min", 20 * MINUTE, {}],
  ["-20 min", -20 * MINUTE, {}],
  ["+2 h", 120 * MINUTE, {}],
  // Under the SDK's 240 s threshold: it learns the offset but does not retry "not yet current".
  ["-3 min, 2-min window", -3 * MINUTE, { allowedSkewMs: 2 * MINUTE }],
];

const CASES: Array<[string, ServiceName, AwsServiceTestServerOptions]> = [
  ["DynamoDB (awsJson1_0)", "DynamoDB", {}],
  ["SQS (awsJson1_0, query-compatible)", "SQS", {}],
  ["STS (awsQuery, SignatureDoesNotMatch)", "STS", {}],
  ["STS (awsQuery, RequestExpired: Date only)", "STS", { queryTimeError: "RequestExpired" }],
];

const OPERATIONS: Record<ServiceName, [string, string]> = {
  DynamoDB: ["PutItem", "GetItem"],
  SQS: ["SendMessage", "ReceiveMessage"],
  STS: ["GetCallerIdentity", "GetCallerIdentity"],
};

const rows: string[][] = [];
afterAll(() => {
  printTable(
    "AWS clients, server clock skewed (requests the server counted per call: first, second)",
    ["client", "skew", "bare", "wrapped"],
    rows,
  );
});

const pair = (first: Outcome, second: Outcome) =>
  `${describeOutcome(first)}, ${describeOutcome(second)}`;

describe("AWS SDK v3 clients: a skewed server clock is recovered by one immediate re-signed resend", () => {
  for (const [label, service, serverOptions] of CASES) {
    for (const [skew, offsetMs, window] of SKEWS) {
      it(`${label}, server ${skew}: wrapped 2 attempts then 1, never worse than bare`, async () => {
        const options = { clockOffsetMs: offsetMs, ...serverOptions, ...window };
        const bareServer = await awsServer(options);
        const bare = awsClient(service, bareServer, { wrapped: false });
        const bareFirst = await outcome(bareServer, () => bare.call(1));
        const bareSecond = await outcome(bareServer, () => bare.call(2));

        const server = await awsServer(options);
        const wrapped = awsClient(service, server);
        const first = await outcome(server, () => wrapped.call(1));
        const second = await outcome(server, () => wrapped.call(2));
        rows.push([label, skew, pair(bareFirst, bareSecond), pair(first, second)]);

        expect(first).toMatchObject({ attempts: 2, ok: true, sdkAttempts: 1, retryDelayMs: 0 });
        expect(second).toMatchObject({ attempts: 1, ok: true });
        expect(atLeastAsGood(first, bareFirst) && atLeastAsGood(second, bareSecond)).toBe(true);

        const types = wrapped.events.map((e) => e.type);
        expect(types).toEqual(
          expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
        );
        const resigned = wrapped.events.find((e) => e.type === "request.resigned");
        expect(resigned).toMatchObject({
          provider: "aws",
          host: endpointOf(server),
          operation: OPERATIONS[service][0],
          requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        });
        expect(Math.abs((resigned?.offsetMs ?? 0) - offsetMs)).toBeLessThan(2_000);
        expect(JSON.stringify(wrapped.events)).not.toContain(SECRET);
      });
    }
  }

  it("DynamoDB at -20 min, where the S3 plugin of the previous release ended worse than bare", async () => {
    // That plugin took no error code from an awsJson error (the JSON protocols have no `Code`
    // element; the code is the error's name and `__type`), so it judged the 400 no clock
    // failure, did not resend, and still removed the SDK's `clockSkewCorrected` flag. At +20 min
    // the SDK retries "Signature expired" on its own; at -20 min ("Signature not yet current")
    // that flag is its only reason to retry, so the call failed where the bare SDK recovered.
    // Now the engine reads the code and the message's times and resends within the SDK attempt.
    const server = await awsServer({ clockOffsetMs: -20 * MINUTE });
    const bare = awsClient("DynamoDB", server, { wrapped: false });
    expect(await outcome(server, () => bare.call(1))).toMatchObject({
      ok: true,
      attempts: 2,
      sdkAttempts: 2,
    });
    const wrapped = awsClient("DynamoDB", server);
    expect(await outcome(server, () => wrapped.call(1))).toMatchObject({
      ok: true,
      attempts: 2,
      sdkAttempts: 1,
      retryDelayMs: 0,
    });
    const resigned = wrapped.events.find((e) => e.type === "request.resigned");
    const skewMs = resigned?.type === "request.resigned" ? resigned.skewMs : 0;
    expect(Math.abs(skewMs + 20 * MINUTE)).toBeLessThan(2_000);
  });
});

describe("AWS SDK v3 clients: what the clock did not cause", () => {
  it("a wrong secret with the clocks agreeing: one request, diagnosed as the key", async () => {
    const server = await awsServer();
    const { call, events } = awsClient("DynamoDB", server, {
      secret: "ZZZZZZZZZZfakeWrongSecretKeyForTests0000",
    });
    const error = await call(1).catch((e: unknown) => e);
    expect(server.attempts).toBe(1);
    expect((error as Error).name).toBe("InvalidSignatureException");
    expect(diagnosisOf(error)?.cause).toBe("secret-key-mismatch");
    expect(events.map((e) => e.type)).toContain("signature.diagnosed");
  });

  it("a wrong secret at +20 min: resent once on the corrected clock, then named the key", async () => {
    const server = await awsServer({ clockOffsetMs: 20 * MINUTE });
    const { call } = awsClient("STS", server, {
      secret: "ZZZZZZZZZZfakeWrongSecretKeyForTests0000",
    });
    const error = await call(1).catch((e: unknown) => e);
    expect(server.log.map((e) => e.status)).toEqual([403, 403]);
    expect(diagnosisOf(error)).toMatchObject({ cause: "secret-key-mismatch", confidence: "high" });
  });

  it("maxAttempts: 1 is respected: diagnosed, not resent", async () => {
    const server = await awsServer({ clockOffsetMs: -20 * MINUTE });
    const { call, events } = awsClient("SQS", server, { maxAttempts: 1 });
    const error = await call(1).catch((e: unknown) => e);
    expect(server.attempts).toBe(1);
    expect(diagnosisOf(error)).toMatchObject({ cause: "clock-ahead", confidence: "high" });
    expect(events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      reason: "resend-disabled",
    });
  });
});
