import { Storage } from "@google-cloud/storage";
import {
  type GcsSkewOptions,
  diagnoseSignedUrlResponse,
  diagnosisOf,
  withSkewRecovery,
} from "@skewguard/gcs";
import { OffsetStore } from "@skewguard/diagnosis";
import {
  type GcsFaults,
  generateTestPrivateKey,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type Expectation, capturedText, expectParity } from "./harness.js";
import { type RecordingProxy, startRecordingProxy } from "./recording-proxy.js";

// Parity of the GCS adapter and `skewguard doctor error`: each failure of the GCS suites
// (test/gcs/token-grant.test.ts, test/gcs/diagnosis.test.ts, test/faults/gcs.test.ts) is
// produced by a wrapped Storage on the testkit's GCS fake through a recording proxy (the API
// endpoint and the token URL both point at it). The adapter's diagnosis (`diagnosisOf` on the
// gaxios error of a refused grant, `diagnoseSignedUrlResponse` for a signed URL) is compared
// with what `doctor error` says of the refusal as it came over the wire and of the gaxios
// error printed as JSON.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const OTHER_KEY = generateTestPrivateKey();

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Setup {
  serverOffsetMs: number;
  faults?: GcsFaults;
  options?: GcsSkewOptions;
  /** Sign grants with this key instead of the account's. */
  privateKey?: string;
}

/** A wrapped Storage on the GCS fake, API and token requests through a recording proxy. */
async function storageThrough(setup: Setup): Promise<{ storage: Storage; proxy: RecordingProxy }> {
  const server = await startGcsTestServer({
    clockOffsetMs: setup.serverOffsetMs,
    idleTimeoutMs: 30_000,
    ...(setup.faults ? { faults: setup.faults } : {}),
  });
  const proxy = await startRecordingProxy(server.url);
  closers.push(server.close, proxy.close);
  const account = testServiceAccount(
    undefined,
    setup.privateKey ? { privateKey: setup.privateKey } : {},
  );
  const storage = withSkewRecovery(
    new Storage({
      apiEndpoint: proxy.url,
      useAuthWithCustomEndpoint: true,
      projectId: "parity",
      credentials: { client_email: account.client_email, private_key: account.private_key },
      retryOptions: { autoRetry: false },
    }),
    { offsets: new OffsetStore(), ...setup.options },
  );
  const client = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(client, `${proxy.url}/token`);
  return { storage, proxy };
}

/** The private key's body lines and the JWT assertions the proxy saw: none may leak. */
function grantSecrets(proxy: RecordingProxy, privateKey: string): string[] {
  const keyLines = privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));
  const assertions = proxy.exchanges.flatMap((e) => {
    const assertion = new URLSearchParams(e.requestBody.toString()).get("assertion");
    return assertion ? [assertion, assertion.split(".")[2] ?? assertion] : [];
  });
  return [...keyLines.slice(1, 6), ...assertions];
}

interface GrantFailure {
  scenario: string;
  setup: Setup;
  /** Grant requests the call cost. */
  grants: number;
  cause: string;
  confidence: "high" | "medium" | "low";
  fromCapture?: Expectation;
  fromSdkError?: Expectation;
}

const GRANT_FAILURES: GrantFailure[] = [
  {
    // test/gcs/token-grant.test.ts: a wrong key with agreeing clocks, no resend.
    scenario: "wrong service-account key, clocks agreeing",
    setup: { serverOffsetMs: 0, privateKey: OTHER_KEY },
    grants: 1,
    cause: "secret-key-mismatch",
    confidence: "medium",
  },
  {
    // test/gcs/token-grant.test.ts: a wrong key with a skewed clock, one corrective grant.
    scenario: "wrong service-account key, server +20 min (one corrective grant)",
    setup: { serverOffsetMs: 20 * MINUTE, privateKey: OTHER_KEY },
    grants: 2,
    cause: "secret-key-mismatch",
    confidence: "high",
    // Legitimately lower: only the adapter knows its grant on the corrected clock failed too.
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/faults/gcs.test.ts: a claim beyond a day is not followed; with the probe off
    // nothing else tells the clock, so recovery cannot help.
    scenario: "token endpoint 3 days ahead, probe off (correction refused)",
    setup: { serverOffsetMs: 3 * DAY, options: { probe: false } },
    grants: 1,
    cause: "jwt-clock-skew",
    confidence: "medium",
  },
  {
    scenario: "token endpoint 3 days behind, probe off (correction refused)",
    setup: { serverOffsetMs: -3 * DAY, options: { probe: false } },
    grants: 1,
    cause: "jwt-clock-skew",
    confidence: "medium",
  },
  {
    // test/faults/gcs.test.ts: an endpoint that refuses every grant for its times, clocks
    // agreeing: nothing to correct, no resend.
    scenario: "every grant refused for its times, clocks agreeing",
    setup: { serverOffsetMs: 0, faults: { token: { kind: "refuse-grants" } } },
    grants: 1,
    cause: "jwt-clock-skew",
    confidence: "medium",
  },
  {
    // The same endpoint 20 min ahead: one corrective grant, refused for its times again.
    scenario: "every grant refused for its times, server +20 min (one corrective grant)",
    setup: { serverOffsetMs: 20 * MINUTE, faults: { token: { kind: "refuse-grants" } } },
    grants: 2,
    cause: "secret-key-mismatch",
    confidence: "high",
    fromCapture: {
      bug: "time-refusal-after-resend-blames-key",
      cause: "jwt-clock-skew",
      confidence: "medium",
    },
    fromSdkError: {
      bug: "time-refusal-after-resend-blames-key",
      cause: "jwt-clock-skew",
      confidence: "medium",
    },
  },
];

describe("GCS: the adapter and doctor error name the same cause of a refused grant", () => {
  for (const failure of GRANT_FAILURES) {
    it(failure.scenario, async () => {
      const { storage, proxy } = await storageThrough(failure.setup);
      const error = (await storage
        .bucket("bkt")
        .getFiles()
        .then(
          () => expect.fail("the call succeeded"),
          (e: unknown) => e,
        )) as Error;
      expect(error.message).toMatch(/^invalid_grant: /);
      expect(proxy.exchanges.map((e) => [e.method, e.path, e.status])).toEqual(
        Array.from({ length: failure.grants }, () => ["POST", "/token", 400]),
      );
      const secrets = grantSecrets(
        proxy,
        failure.setup.privateKey ?? testServiceAccount().private_key,
      );
      // Five lines of the key, and each refused JWT and its signature.
      expect(secrets).toHaveLength(5 + 2 * failure.grants);
      await expectParity({
        provider: "gcs",
        scenario: failure.scenario,
        adapter: diagnosisOf(error),
        cause: failure.cause,
        confidence: failure.confidence,
        capture: capturedText(proxy.exchanges),
        sdkError: JSON.stringify(error),
        ...(failure.fromCapture ? { fromCapture: failure.fromCapture } : {}),
        ...(failure.fromSdkError ? { fromSdkError: failure.fromSdkError } : {}),
        secrets,
      });
    });
  }
});

describe("GCS: the adapter and doctor error name the same cause of a refused signed URL", () => {
  // test/gcs/diagnosis.test.ts: the SDK's own V4 URL, signed on the local clock, fetched; the
  // adapter's `diagnoseSignedUrlResponse` is given the refusal. There is no SDK error here.
  for (const [scenario, serverOffsetMs, cause] of [
    ["the SDK's signed URL, client 20 min behind: expired", 20 * MINUTE, "presigned-expired"],
    [
      "the SDK's signed URL, client 20 min ahead: not yet valid",
      -20 * MINUTE,
      "presigned-not-yet-valid",
    ],
  ] as const) {
    it(scenario, async () => {
      const { storage, proxy } = await storageThrough({ serverOffsetMs });
      const [url] = await storage
        .bucket("bkt")
        .file("o")
        .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 10 * MINUTE });
      expect(url.startsWith(proxy.url)).toBe(true);
      const response = await fetch(url);
      expect(response.status).toBe(400);
      const adapter = await diagnoseSignedUrlResponse(url, response, { storage });
      expect(proxy.exchanges).toHaveLength(1);
      await expectParity({
        provider: "gcs",
        scenario,
        adapter,
        cause,
        confidence: "high",
        capture: capturedText(proxy.exchanges),
        secrets: [
          new URL(url).searchParams.get("X-Goog-Signature") ?? undefined,
          ...grantSecrets(proxy, testServiceAccount().private_key),
        ],
      });
    });
  }
});
