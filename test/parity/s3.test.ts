import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import { diagnosisOf, getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { OffsetStore, diagnoseResponse, signedFactsOfUrl } from "@skewguard/diagnosis";
import {
  DEFAULT_CREDENTIALS,
  type S3TestServerOptions,
  startS3TestServer,
} from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Expectation,
  authorizationSignature,
  capturedText,
  doctorError,
  expectParity,
} from "./harness.js";
import { type RecordingProxy, startRecordingProxy } from "./recording-proxy.js";

// Parity of the S3 adapter and `skewguard doctor error`: each failure of the S3 diagnosis suites
// (test/s3, test/faults/s3.test.ts) is produced by a wrapped S3Client talking to the testkit
// server through a recording proxy; `diagnosisOf(error)` is compared with what `doctor error`
// says of the refused response as it came over the wire and of the SDK's error printed as JSON.
// The proxy forwards the Host header unchanged, so the signature SigV4 computed over it holds.

const MINUTE = 60_000;
const ACCESS_KEY_ID = "AKIDEXAMPLE";
const SECRET = DEFAULT_CREDENTIALS[ACCESS_KEY_ID] as string;
const WRONG_SECRET = "ZZZZZZZZZZfakeWrongSecretKeyForTests0000";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Setup {
  server?: S3TestServerOptions;
  secret?: string;
  maxAttempts?: number;
  replayBufferBytes?: number;
}

/** A wrapped client on a testkit S3 server behind a recording proxy. */
async function s3Through(setup: Setup): Promise<{ client: S3Client; proxy: RecordingProxy }> {
  const server = await startS3TestServer({ idleTimeoutMs: 30_000, ...setup.server });
  server.objects.set("b/k", Buffer.from("hello"));
  const proxy = await startRecordingProxy(server.url);
  closers.push(server.close, proxy.close);
  const client = new S3Client({
    region: "us-east-1",
    endpoint: proxy.url,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: setup.secret ?? SECRET },
    ...(setup.maxAttempts === undefined ? {} : { maxAttempts: setup.maxAttempts }),
  });
  client.middlewareStack.use(
    getSkewRecoveryPlugin(client.config, {
      offsets: new OffsetStore(),
      ...(setup.replayBufferBytes === undefined
        ? {}
        : { replayBufferBytes: setup.replayBufferBytes }),
    }),
  );
  return { client, proxy };
}

const getK = (client: S3Client) => client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));

type AwsError = Error & {
  $metadata?: unknown;
  $response?: { statusCode?: number; headers?: Record<string, string> };
  SignatureProvided?: string;
};

/**
 * The error as a user prints it: `JSON.stringify`, with the response's status and headers
 * (`$response` is not enumerable, so a plain stringify drops it: people add it to see `Date`).
 */
function awsErrorJson(error: AwsError): string {
  const { statusCode, headers } = error.$response ?? {};
  return JSON.stringify({ ...error, $response: { statusCode, headers } });
}

interface Failure {
  scenario: string;
  setup: Setup;
  call?: (client: S3Client) => Promise<unknown>;
  /** Requests the call cost at the server. */
  attempts: number;
  cause: string;
  confidence: "high" | "medium" | "low";
  fromCapture?: Expectation;
  fromSdkError?: Expectation;
}

const FAILURES: Failure[] = [
  {
    // test/s3/futile-retries.test.ts: a wrong secret with clocks agreeing, never resent.
    scenario: "wrong secret key, clocks agreeing",
    setup: { secret: WRONG_SECRET },
    attempts: 1,
    cause: "secret-key-mismatch",
    confidence: "medium",
    // The adapter rules the clock out from the response's Date header against its own signing
    // time; the capture holds both (Date, and the request time in StringToSign), but the pasted
    // path reads no time from Date and says "no server time in the response".
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/s3/futile-retries.test.ts: the first call resends once on the corrected clock.
    scenario: "wrong secret key, server +20 min (one corrective resend)",
    setup: { secret: WRONG_SECRET, server: { clockOffsetMs: 20 * MINUTE } },
    attempts: 2,
    cause: "secret-key-mismatch",
    confidence: "high",
    // Legitimately lower: only the adapter knows its resend on the corrected clock failed too.
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/s3/recovery.test.ts: maxAttempts 1 is respected, the failure diagnosed.
    scenario: "client 20 min behind, maxAttempts 1",
    setup: { maxAttempts: 1, server: { clockOffsetMs: 20 * MINUTE } },
    attempts: 1,
    cause: "clock-behind",
    confidence: "high",
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    scenario: "client 20 min ahead, maxAttempts 1",
    setup: { maxAttempts: 1, server: { clockOffsetMs: -20 * MINUTE } },
    attempts: 1,
    cause: "clock-ahead",
    confidence: "high",
  },
  {
    // test/s3/recovery.test.ts, errorStyle SignatureDoesNotMatch: a store that refuses a stale
    // request with its string to sign rather than RequestTimeTooSkewed.
    scenario: "client 20 min behind, maxAttempts 1, server answers SignatureDoesNotMatch",
    setup: {
      maxAttempts: 1,
      server: { clockOffsetMs: 20 * MINUTE, errorStyle: "SignatureDoesNotMatch" },
    },
    attempts: 1,
    cause: "clock-behind",
    confidence: "medium",
    // The capture's Date is 20 minutes past the StringToSign's request time; read without the
    // Date, the refusal is blamed on the key: the dead end skewguard exists to prevent.
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/s3/bodies.test.ts: a stream that cannot be replayed is not resent.
    scenario: "client 20 min behind, stream PutObject, replayBufferBytes 0",
    setup: { replayBufferBytes: 0, server: { clockOffsetMs: 20 * MINUTE } },
    call: (client) => {
      const data = Buffer.alloc(4096, 7);
      return client.send(
        new PutObjectCommand({
          Bucket: "b",
          Key: "stream",
          Body: Readable.from([data]),
          ContentLength: data.length,
        }),
      );
    },
    attempts: 1,
    cause: "clock-behind",
    confidence: "high",
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/s3/recovery.test.ts: a skew under S3's 15-minute window (and under the SDK's 240 s)
    // on a server with a 2-minute window; with the resend disabled it fails.
    scenario: "client 3 min ahead, 2-min window, maxAttempts 1",
    setup: { maxAttempts: 1, server: { clockOffsetMs: -3 * MINUTE, allowedSkewMs: 2 * MINUTE } },
    attempts: 1,
    cause: "clock-ahead",
    confidence: "high",
  },
  {
    scenario: "client 3 min ahead, 2-min window, maxAttempts 1, SignatureDoesNotMatch",
    setup: {
      maxAttempts: 1,
      server: {
        clockOffsetMs: -3 * MINUTE,
        allowedSkewMs: 2 * MINUTE,
        errorStyle: "SignatureDoesNotMatch",
      },
    },
    attempts: 1,
    cause: "clock-ahead",
    confidence: "medium",
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/faults/s3.test.ts: an error body stripped of its evidence; only Date tells the time.
    scenario: "client 20 min behind, maxAttempts 1, minimal error body",
    setup: { maxAttempts: 1, server: { clockOffsetMs: 20 * MINUTE, errorBody: "minimal" } },
    attempts: 1,
    cause: "clock-behind",
    confidence: "high",
    // Legitimately lower: the response names neither the request time nor the direction; the
    // adapter knows when it signed.
    fromCapture: "open-in-paste",
    fromSdkError: "open-in-paste",
  },
];

describe("S3: the adapter and doctor error name the same cause", () => {
  for (const failure of FAILURES) {
    it(failure.scenario, async () => {
      const { client, proxy } = await s3Through(failure.setup);
      const error = (await (failure.call ?? getK)(client).then(
        () => expect.fail("the call succeeded"),
        (e: unknown) => e,
      )) as AwsError;
      expect(proxy.exchanges).toHaveLength(failure.attempts);
      const sent = proxy.exchanges.map((e) => authorizationSignature(e.requestHeaders));
      expect(sent.every((s) => s !== undefined)).toBe(true);
      await expectParity({
        provider: "s3",
        scenario: failure.scenario,
        adapter: diagnosisOf(error),
        cause: failure.cause,
        confidence: failure.confidence,
        capture: capturedText(proxy.exchanges),
        sdkError: awsErrorJson(error),
        ...(failure.fromCapture ? { fromCapture: failure.fromCapture } : {}),
        ...(failure.fromSdkError ? { fromSdkError: failure.fromSdkError } : {}),
        secrets: [SECRET, WRONG_SECRET, error.SignatureProvided, ...sent],
      });
    });
  }

  it("the plain JSON.stringify of the error (no $response) says the same as with it", async () => {
    const { client } = await s3Through({ maxAttempts: 1, server: { clockOffsetMs: 20 * MINUTE } });
    const error = (await getK(client).catch((e: unknown) => e)) as AwsError;
    const plain = await doctorError(JSON.stringify(error));
    const full = await doctorError(awsErrorJson(error));
    // The same cause; the headers (Date) may add confidence, never change the answer.
    expect(plain.cause).toBe(full.cause);
    expect(plain.cause).toBe("clock-behind");
  });
});

describe("S3: a presigned URL that expired", () => {
  // The S3 adapter never sees a presigned URL's request (the GCS adapter has
  // `diagnoseSignedUrlResponse`, the Azure one wraps a SAS client): an application holding the
  // refusal asks the core's `diagnoseResponse`, the same judge, with what the URL says it signed.
  it("the SDK's presigner on a client 20 min behind: diagnoseResponse and doctor error agree", async () => {
    const { client, proxy } = await s3Through({ server: { clockOffsetMs: 20 * MINUTE } });
    const url = await sdkGetSignedUrl(client, new GetObjectCommand({ Bucket: "b", Key: "k" }), {
      expiresIn: 900,
    });
    const sentAt = Date.now();
    const response = await fetch(url);
    const receivedAt = Date.now();
    expect(response.status).toBe(403);
    const signed = signedFactsOfUrl(url)?.signed;
    expect(signed?.expiresSeconds).toBe(900);
    const adapter = diagnoseResponse({
      provider: "s3",
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      sentAt,
      receivedAt,
      presigned: true,
      ...(signed ? { signed } : {}),
    });
    await expectParity({
      provider: "s3",
      scenario: "presigned URL by the SDK, client 20 min behind: expired (diagnoseResponse)",
      adapter,
      cause: "presigned-expired",
      confidence: "high",
      capture: capturedText(proxy.exchanges),
      secrets: [SECRET, new URL(url).searchParams.get("X-Amz-Signature") ?? undefined],
    });
  });
});
