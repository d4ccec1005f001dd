import { Readable } from "node:stream";
import {
  BlobClient,
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { diagnosisOf, withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore } from "@skewguard/diagnosis";
import { type AzureTestServer, startAzureTestServer } from "@skewguard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Expectation, authorizationSignature, capturedText, expectParity } from "./harness.js";
import { type RecordingProxy, startRecordingProxy } from "./recording-proxy.js";

// Parity of the Azure adapter and `skewguard doctor error`: each failure of the Azure suites
// (test/azure, test/faults/azure.test.ts) is produced by a wrapped client on Azurite behind the
// testkit's skew proxy, through a recording proxy (SharedKey does not sign the host; the
// request goes on unchanged). `diagnosisOf(restError)` is compared with what `doctor error`
// says of the refused response as it came over the wire and of the RestError printed as JSON.

const MINUTE = 60_000;
const CONTAINER = "parity";
/** A key of the right shape that is not the account's. */
const WRONG_KEY = Buffer.from("a key from another environment, 32b").toString("base64");

let server: AzureTestServer | undefined;
let proxy: RecordingProxy | undefined;
beforeAll(async () => {
  server = await startAzureTestServer();
  proxy = await startRecordingProxy(new URL(server.serviceUrl).origin);
  await service(server.accountKey, { wrapped: false })
    .getContainerClient(CONTAINER)
    .createIfNotExists();
  await blob(service(server.accountKey, { wrapped: false }), "seed.txt").upload("seed", 4);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});
beforeEach(() => {
  azure().setClockOffset(0);
  recorder().exchanges.length = 0;
});

function azure(): AzureTestServer {
  if (!server) throw new Error("the Azure test server is not running");
  return server;
}
function recorder(): RecordingProxy {
  if (!proxy) throw new Error("the recording proxy is not running");
  return proxy;
}

/** The account's URL on the recording proxy. */
const serviceUrl = () => `${recorder().url}/${azure().accountName}`;

interface ClientSetup {
  wrapped?: boolean;
  maxTries?: number;
  replayBufferBytes?: number;
}

/** A service client on the recording proxy, wrapped with a fresh offset store of its own. */
function service(key: string, setup: ClientSetup = {}): BlobServiceClient {
  const client = new BlobServiceClient(
    serviceUrl(),
    new StorageSharedKeyCredential(azure().accountName, key),
    setup.maxTries === undefined ? {} : { retryOptions: { maxTries: setup.maxTries } },
  );
  if (setup.wrapped === false) return client;
  return withSkewRecovery(client, {
    offsets: new OffsetStore(),
    ...(setup.replayBufferBytes === undefined
      ? {}
      : { replayBufferBytes: setup.replayBufferBytes }),
  });
}

const blob = (client: BlobServiceClient, name: string) =>
  client.getContainerClient(CONTAINER).getBlockBlobClient(name);

/** A blob SAS URL (on the proxy) made by the SDK's own generateSasUrl on the local clock. */
async function sdkSasUrl(options: { startsOn?: Date; expiresOn: Date }): Promise<string> {
  return blob(service(azure().accountKey, { wrapped: false }), "seed.txt").generateSasUrl({
    permissions: BlobSASPermissions.parse("r"),
    ...options,
  });
}

interface Failure {
  scenario: string;
  /** The server's clock minus the real one while the call runs. */
  serverOffsetMs?: number;
  call: () => Promise<unknown>;
  /** Requests the call cost at the proxy. */
  attempts: number;
  cause: string;
  confidence: "high" | "medium" | "low";
  fromCapture?: Expectation;
  fromSdkError?: Expectation;
  /** The SAS signature in play, if any. */
  sas?: () => string | undefined;
}

const upload = (key: string, setup: ClientSetup = {}) =>
  blob(service(key, setup), "upload.txt").upload("nope", 4);
const headBlob = (key: string, setup: ClientSetup = {}) =>
  blob(service(key, setup), "seed.txt").getProperties();

let sasUrl: string | undefined;
const sasSignature = () =>
  sasUrl === undefined ? undefined : (new URL(sasUrl).searchParams.get("sig") ?? undefined);

const FAILURES: Failure[] = [
  {
    // test/azure/wrong-key.test.ts: a wrong key, clocks agreeing, never resent.
    scenario: "wrong account key, clocks agreeing (PutBlob)",
    call: () => upload(WRONG_KEY),
    attempts: 1,
    cause: "secret-key-mismatch",
    confidence: "high",
    // Legitimately lower: the adapter's string-to-sign equals the one the server quotes; the
    // paste has only the server's. (The paste could reach medium by reading the x-ms-date the
    // server's string-to-sign quotes against `Time:`; it says low.)
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/azure/wrong-key.test.ts: skewed, the first call resends once on the corrected clock.
    scenario: "wrong account key, server +20 min (one corrective resend)",
    serverOffsetMs: 20 * MINUTE,
    call: () => upload(WRONG_KEY),
    attempts: 2,
    cause: "secret-key-mismatch",
    confidence: "high",
    fromCapture: "same-cause-lower-confidence",
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    // test/azure/wrong-key.test.ts: a HEAD has no body; the code is in x-ms-error-code.
    scenario: "wrong account key, clocks agreeing, HEAD (GetBlobProperties)",
    call: () => headBlob(WRONG_KEY),
    attempts: 1,
    cause: "secret-key-mismatch",
    confidence: "medium",
    fromCapture: "open-in-paste",
    // Legitimately lower: the adapter checked its own signing time against Date; the
    // RestError of a HEAD states no request time.
    fromSdkError: "open-in-paste",
  },
  {
    // test/azure/recovery.test.ts and the README: retryOptions.maxTries 1 disables the resend.
    scenario: "client 20 min behind, maxTries 1 (PutBlob)",
    serverOffsetMs: 20 * MINUTE,
    call: () => upload(azure().accountKey, { maxTries: 1 }),
    attempts: 1,
    cause: "clock-behind",
    confidence: "high",
    fromSdkError: "same-cause-lower-confidence",
    fromCapture: "same-cause-lower-confidence",
  },
  {
    scenario: "client 20 min ahead, maxTries 1 (PutBlob)",
    serverOffsetMs: -20 * MINUTE,
    call: () => upload(azure().accountKey, { maxTries: 1 }),
    attempts: 1,
    cause: "clock-ahead",
    confidence: "high",
    // "Request date header not yet valid", read from the RestError without its Time: line,
    // becomes the opposite cause.
    fromSdkError: "same-cause-lower-confidence",
  },
  {
    scenario: "client 20 min behind, maxTries 1, HEAD (GetBlobProperties)",
    serverOffsetMs: 20 * MINUTE,
    call: () => headBlob(azure().accountKey, { maxTries: 1 }),
    attempts: 1,
    cause: "clock-behind",
    confidence: "medium",
    fromCapture: "open-in-paste",
    // Nothing in a HEAD's RestError states when the request was signed: the clock cannot be
    // named from it, but it should stay open, not be ruled out in favour of the key.
    fromSdkError: "open-in-paste",
  },
  {
    // test/azure/bodies.test.ts: a stream beyond replayBufferBytes is sent once.
    scenario: "client 20 min behind, stream upload, replayBufferBytes 0",
    serverOffsetMs: 20 * MINUTE,
    call: () =>
      blob(service(azure().accountKey, { replayBufferBytes: 0 }), "stream.bin").upload(
        Readable.from([Buffer.alloc(4096, 7)]),
        4096,
      ),
    attempts: 1,
    cause: "clock-behind",
    confidence: "high",
    fromSdkError: "same-cause-lower-confidence",
    fromCapture: "same-cause-lower-confidence",
  },
  {
    // test/azure/sas.test.ts: the SDK's own SAS from a client 20 min behind is born expired.
    scenario: "SAS by the SDK, client 20 min behind: expired",
    serverOffsetMs: 20 * MINUTE,
    call: async () => {
      sasUrl = await sdkSasUrl({ expiresOn: new Date(Date.now() + 10 * MINUTE) });
      return withSkewRecovery(new BlobClient(sasUrl), { offsets: new OffsetStore() }).download();
    },
    attempts: 1,
    cause: "presigned-expired",
    confidence: "high",
    sas: sasSignature,
  },
  {
    // A SAS starting now on a client 20 min ahead: not yet valid on the server's clock.
    scenario: "SAS by the SDK starting now, client 20 min ahead: not yet valid",
    serverOffsetMs: -20 * MINUTE,
    call: async () => {
      sasUrl = await sdkSasUrl({
        startsOn: new Date(),
        expiresOn: new Date(Date.now() + 60 * MINUTE),
      });
      return withSkewRecovery(new BlobClient(sasUrl), { offsets: new OffsetStore() }).download();
    },
    attempts: 1,
    cause: "presigned-not-yet-valid",
    confidence: "high",
    sas: sasSignature,
  },
];

describe("Azure: the adapter and doctor error name the same cause", () => {
  for (const failure of FAILURES) {
    it(failure.scenario, async () => {
      sasUrl = undefined;
      const run = async () => {
        azure().setClockOffset(failure.serverOffsetMs ?? 0);
        return failure.call();
      };
      const error = (await run().then(
        () => expect.fail("the call succeeded"),
        (e: unknown) => e,
      )) as { name?: string; statusCode?: number };
      expect(error).toMatchObject({ name: "RestError", statusCode: 403 });
      const exchanges = recorder().exchanges;
      expect(exchanges).toHaveLength(failure.attempts);
      const sent = exchanges.map((e) => authorizationSignature(e.requestHeaders));
      await expectParity({
        provider: "azure",
        scenario: failure.scenario,
        adapter: diagnosisOf(error),
        cause: failure.cause,
        confidence: failure.confidence,
        capture: capturedText(exchanges),
        sdkError: JSON.stringify(error),
        ...(failure.fromCapture ? { fromCapture: failure.fromCapture } : {}),
        ...(failure.fromSdkError ? { fromSdkError: failure.fromSdkError } : {}),
        secrets: [azure().accountKey, WRONG_KEY, ...sent, failure.sas?.()],
      });
    });
  }
});
