import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore } from "@skewguard/diagnosis";
import {
  type AzureSkewProxy,
  type AzureTestServer,
  startAzureSkewProxy,
  startAzureTestServer,
} from "@skewguard/testkit";
import { afterAll, beforeAll, describe, it } from "vitest";
import { WRONG_KEY } from "../azure/fixtures.js";
import {
  type CallResult,
  MINUTE,
  SKEWS,
  type Skew,
  clientClockFor,
  expectNoWorse,
  runCalls,
  serverOffsetFor,
  withClientClock,
} from "./matrix.js";

/**
 * The Azure rows: Azurite behind the skew-enforcing proxy (15-minute window), and a second proxy
 * with a 2-minute window for the -3 min row, both started here. Bare and wrapped, three calls
 * each, on fresh clients with the SDK's default retry policy.
 */

const CONTAINER = "matrix";
const CALLS = 3;

let server: AzureTestServer;
let narrow: AzureSkewProxy;

beforeAll(async () => {
  server = await startAzureTestServer({ idleTimeoutMs: 0 });
  narrow = await startAzureSkewProxy({
    target: server.azurite.origin,
    accountName: server.accountName,
    allowedSkewMs: 2 * MINUTE,
    idleTimeoutMs: 0,
  });
  // Set up with clocks agreeing, straight on Azurite.
  const direct = new BlobServiceClient(
    `${server.azurite.origin}/${server.accountName}`,
    new StorageSharedKeyCredential(server.accountName, server.accountKey),
  );
  const container = direct.getContainerClient(CONTAINER);
  await container.createIfNotExists();
  await container.getBlockBlobClient("object").upload("the object", 10);
});

afterAll(async () => {
  await narrow?.close();
  await server?.close();
});

interface AzureOp {
  name: string;
  truth: string;
  wrongKey?: boolean;
  call(service: BlobServiceClient, side: string, i: number): Promise<unknown>;
}

const OPS: readonly AzureOp[] = [
  {
    name: "read",
    truth: "ok",
    call: (service) => download(service, "object"),
  },
  {
    name: "write",
    truth: "ok",
    call: (service, side, i) =>
      service
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(`write-${side}-${i}`)
        .upload(Buffer.alloc(2048, i), 2048),
  },
  {
    name: "404",
    truth: "BlobNotFound",
    call: (service) => download(service, "missing"),
  },
  {
    name: "wrong key",
    truth: "AuthenticationFailed",
    wrongKey: true,
    call: (service) => download(service, "object"),
  },
];

/** One GET of a blob, its body read to the end. */
async function download(service: BlobServiceClient, name: string): Promise<void> {
  const response = await service.getContainerClient(CONTAINER).getBlobClient(name).download();
  for await (const _ of response.readableStreamBody ?? []) {
    // drained
  }
}

/** A RestError's service code (or status): what a caller branches on. */
function azureOutcome(error: unknown): string {
  const e = error as { code?: unknown; statusCode?: unknown; name?: unknown };
  if (typeof e.code === "string") return e.code;
  if (typeof e.statusCode === "number") return String(e.statusCode);
  return String(e.name ?? "Error");
}

/**
 * One side's calls. A 1970 client clock: the bare SDK stamps `x-ms-date` from this process's
 * `Date`, shifted while it runs (its requests never get past the proxy); Azurite runs in this
 * process too and reads that `Date`, so for the wrapped client, whose signing time is
 * skewguard's, the 1970 clock is injected instead and the global `Date` stays real.
 */
async function runSide(skew: Skew, op: AzureOp, wrapped: boolean): Promise<CallResult[]> {
  const proxy = skew.windowMs ? narrow : server.proxy;
  const side = wrapped ? "wrapped" : "bare";
  const calls = () => {
    const service = new BlobServiceClient(
      `${proxy.origin}/${server.accountName}`,
      new StorageSharedKeyCredential(
        server.accountName,
        op.wrongKey ? WRONG_KEY : server.accountKey,
      ),
    );
    if (wrapped) {
      const clock = clientClockFor(skew);
      withSkewRecovery(service, {
        offsets: new OffsetStore(clock ? { clock } : {}),
        ...(clock ? { clock } : {}),
      });
    }
    return runCalls(
      CALLS,
      () => proxy.attempts,
      (i) => op.call(service, side, i),
      azureOutcome,
    );
  };
  return wrapped ? calls() : withClientClock(skew, calls);
}

describe("Azure dominance matrix, default retry policy", () => {
  for (const skew of SKEWS) {
    for (const op of OPS) {
      it(`skew ${skew.label}: ${op.name}`, async () => {
        for (const proxy of [server.proxy, narrow]) proxy.setClockOffset(serverOffsetFor(skew));
        const bare = await runSide(skew, op, false);
        const wrapped = await runSide(skew, op, true);
        expectNoWorse({
          provider: "azure",
          config: "default retry policy",
          scenario: `skew ${skew.label}`,
          op: op.name,
          truth: op.truth,
          bare,
          wrapped,
        });
      });
    }
  }
});
