import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { BlobServiceClient, StorageSharedKeyCredential, newPipeline } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import type { AzureTestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import {
  HOUR,
  MINUTE,
  azureClient,
  azureServerPerFile,
  counted,
  createContainer,
  failureOf,
  types,
} from "./fixtures.js";

/**
 * The upload and download paths users take, at -20 min, +20 min and +2 h, each with a fresh
 * wrapped client and the bare SDK side by side: bytes stored, requests counted at the proxy.
 * A request that leaves before the client has heard from the server is refused once and resent
 * once; a block staged after that goes through first time.
 */

const server = azureServerPerFile();
const CONTAINER = "upload-paths";
const MIB = 1024 * 1024;

const SKEWS = [
  { name: "-20 min", offsetMs: -20 * MINUTE },
  { name: "+20 min", offsetMs: 20 * MINUTE },
  { name: "+2 h", offsetMs: 2 * HOUR },
];

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A one-shot stream handing out `bytes` in 64 KiB chunks, as a file stream does. */
function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024)
    chunks.push(bytes.subarray(at, at + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

/** Requests the proxy refused for their clock since the log was last reset. */
function refusedForClock(server: AzureTestServer): number {
  return server.log.filter((entry) => entry.status === 403 && entry.rejectedByProxy).length;
}

function recovered(events: SkewguardEvent[]): number {
  return types(events).filter((type) => type === "request.recovered").length;
}

/** Fresh clients of every kind the issue names, on their own offset stores. */
function clients(server: AzureTestServer) {
  const credential = () => new StorageSharedKeyCredential(server.accountName, server.accountKey);
  const connectionString = [
    "DefaultEndpointsProtocol=http",
    `AccountName=${server.accountName}`,
    `AccountKey=${server.accountKey}`,
    `BlobEndpoint=${server.serviceUrl};`,
  ].join(";");
  return {
    fromConnectionString: () => BlobServiceClient.fromConnectionString(connectionString),
    newPipeline: () => new BlobServiceClient(server.serviceUrl, newPipeline(credential())),
  };
}

function wrap<T extends BlobServiceClient>(service: T): { service: T; events: SkewguardEvent[] } {
  const events: SkewguardEvent[] = [];
  withSkewRecovery(service, { offsets: new OffsetStore(), onEvent: (e) => events.push(e) });
  return { service, events };
}

describe.each(SKEWS)("upload paths with the server clock $name", ({ offsetMs }) => {
  it("uploadStream (10 MiB, 4 MiB buffers, maxConcurrency 4): stored byte for byte; the bare SDK fails", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(offsetMs);
    server().resetLog();
    const payload = randomBytes(10 * MIB);
    const { service, events } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient(`stream-${offsetMs}.bin`);
    const first = await counted(server(), () => blob.uploadStream(streamOf(payload), 4 * MIB, 4));
    // 3 blocks and a commit; only blocks that left before the first answer were refused, each
    // resent once, and the commit (sent after) never was.
    const refused = refusedForClock(server());
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(3);
    expect(first.attempts).toBe(4 + refused);
    expect(recovered(events)).toBe(refused);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(payload));

    // The same client again: every block goes through first time.
    server().resetLog();
    const again = await counted(server(), () => blob.uploadStream(streamOf(payload), 4 * MIB, 4));
    expect(again.attempts).toBe(4);
    expect(refusedForClock(server())).toBe(0);

    const bare = azureClient(server(), { wrapped: false }).service;
    const bareBlob = bare
      .getContainerClient(CONTAINER)
      .getBlockBlobClient(`bare-stream-${offsetMs}.bin`);
    const bareUpload = await counted(server(), () =>
      failureOf(bareBlob.uploadStream(streamOf(payload), 4 * MIB, 4)),
    );
    expect(bareUpload.result.statusCode).toBe(403);
    expect(bareUpload.attempts).toBeGreaterThanOrEqual(1);
    expect(bareUpload.attempts).toBeLessThanOrEqual(3); // refused blocks, no retry, no commit
    server().setClockOffset(0);
    expect(await bareBlob.exists()).toBe(false);
  });

  it("uploadData in parallel blocks (1 MiB, 256 KiB blocks, concurrency 4): stored; the bare SDK fails", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(offsetMs);
    server().resetLog();
    const payload = randomBytes(MIB);
    const options = { blockSize: 256 * 1024, maxSingleShotSize: 256 * 1024, concurrency: 4 };
    const { service, events } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient(`data-${offsetMs}.bin`);
    const first = await counted(server(), () => blob.uploadData(payload, options));
    const refused = refusedForClock(server());
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(4);
    expect(first.attempts).toBe(5 + refused); // 4 blocks and a commit
    expect(recovered(events)).toBe(refused);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(payload));

    server().resetLog();
    const again = await counted(server(), () => blob.uploadData(payload, options));
    expect(again.attempts).toBe(5);

    const bare = azureClient(server(), { wrapped: false }).service;
    const bareBlob = bare
      .getContainerClient(CONTAINER)
      .getBlockBlobClient(`bare-data-${offsetMs}.bin`);
    const bareUpload = await counted(server(), () =>
      failureOf(bareBlob.uploadData(payload, options)),
    );
    expect(bareUpload.result.statusCode).toBe(403);
    // Blocks already in flight are refused too; none is retried and nothing is committed.
    expect(bareUpload.attempts).toBeGreaterThanOrEqual(1);
    expect(bareUpload.attempts).toBeLessThanOrEqual(4);
    server().setClockOffset(0);
    expect(await bareBlob.exists()).toBe(false);
  });

  it("stageBlock then commitBlockList: the first block resent once, the rest first time", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(offsetMs);
    const parts = [randomBytes(300 * 1024), randomBytes(200 * 1024)];
    const ids = ["block-0", "block-1"].map((id) => Buffer.from(id).toString("base64"));
    const { service, events } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient(`staged-${offsetMs}.bin`);
    const stagedFirst = await counted(server(), () =>
      blob.stageBlock(ids[0] as string, parts[0] as Buffer, (parts[0] as Buffer).length),
    );
    expect(stagedFirst.attempts).toBe(2);
    const rest = await counted(server(), async () => {
      await blob.stageBlock(ids[1] as string, parts[1] as Buffer, (parts[1] as Buffer).length);
      await blob.commitBlockList(ids);
    });
    expect(rest.attempts).toBe(2);
    expect(recovered(events)).toBe(1);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(Buffer.concat(parts)));

    const bare = azureClient(server(), { wrapped: false }).service;
    const bareBlob = bare
      .getContainerClient(CONTAINER)
      .getBlockBlobClient(`bare-staged-${offsetMs}.bin`);
    const bareStage = await counted(server(), () =>
      failureOf(
        bareBlob.stageBlock(ids[0] as string, parts[0] as Buffer, (parts[0] as Buffer).length),
      ),
    );
    expect(bareStage.result.statusCode).toBe(403);
    expect(bareStage.attempts).toBe(1); // the SDK never retries a 403
  });

  it("downloadToBuffer in parallel ranges: the same bytes back; the bare SDK fails", async () => {
    await createContainer(server(), CONTAINER);
    const payload = randomBytes(MIB);
    const seed = azureClient(server(), { wrapped: false }).service;
    await seed
      .getContainerClient(CONTAINER)
      .getBlockBlobClient(`download-${offsetMs}.bin`)
      .uploadData(payload);
    server().setClockOffset(offsetMs);
    const options = { blockSize: 256 * 1024, concurrency: 4 };
    const { service, events } = azureClient(server());
    const blob = service
      .getContainerClient(CONTAINER)
      .getBlockBlobClient(`download-${offsetMs}.bin`);
    const { attempts, result } = await counted(server(), () =>
      blob.downloadToBuffer(0, undefined, options),
    );
    expect(sha256(result)).toBe(sha256(payload));
    // The size first (refused, resent), then 4 ranges, all first time.
    expect(attempts).toBe(1 + 1 + 4);
    expect(recovered(events)).toBe(1);

    const bareBlob = azureClient(server(), { wrapped: false })
      .service.getContainerClient(CONTAINER)
      .getBlockBlobClient(`download-${offsetMs}.bin`);
    const bare = await counted(server(), () =>
      failureOf(bareBlob.downloadToBuffer(0, undefined, options)),
    );
    expect(bare.result.statusCode).toBe(403);
    expect(bare.attempts).toBe(1);
  });

  it.each([
    { kind: "BlobServiceClient.fromConnectionString", make: "fromConnectionString" as const },
    { kind: "new BlobServiceClient(url, newPipeline(credential))", make: "newPipeline" as const },
  ])(
    "a client from $kind: wrapped, one resend and the blob stored; bare, refused",
    async ({ make }) => {
      await createContainer(server(), CONTAINER);
      server().setClockOffset(offsetMs);
      const payload = randomBytes(64 * 1024);
      const { service, events } = wrap(clients(server())[make]());
      const blob = service
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(`${make}-${offsetMs}.bin`);
      const upload = await counted(server(), () => blob.uploadData(payload));
      expect(upload.attempts).toBe(2);
      expect(types(events)).toContain("request.recovered");
      const download = await counted(server(), () => blob.downloadToBuffer());
      expect(sha256(download.result)).toBe(sha256(payload));
      expect(download.attempts).toBeLessThanOrEqual(2); // learned: nothing refused any more
      expect(refusedForClock(server())).toBe(1);

      const bareBlob = clients(server())
        [make]()
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(`bare-${make}-${offsetMs}.bin`);
      const bare = await counted(server(), () => failureOf(bareBlob.uploadData(payload)));
      expect(bare.result.statusCode).toBe(403);
      expect(bare.attempts).toBe(1);
    },
  );
});

describe("clients sharing one newPipeline(...)", () => {
  it("wrapping one client wraps every client built with the same pipeline", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    const pipeline = newPipeline(
      new StorageSharedKeyCredential(server().accountName, server().accountKey),
    );
    const first = new BlobServiceClient(server().serviceUrl, pipeline);
    const second = new BlobServiceClient(server().serviceUrl, pipeline);
    const { events } = wrap(first);
    const blob = second.getContainerClient(CONTAINER).getBlockBlobClient("shared-pipeline.txt");
    const { attempts } = await counted(server(), () => blob.upload("shared", 6));
    expect(attempts).toBe(2);
    expect(recovered(events)).toBe(1);

    // A client on a pipeline of its own is not wrapped by that.
    const alone = new BlobServiceClient(
      server().serviceUrl,
      newPipeline(new StorageSharedKeyCredential(server().accountName, server().accountKey)),
    );
    const bare = await counted(server(), () =>
      failureOf(alone.getContainerClient(CONTAINER).getBlockBlobClient("alone.txt").upload("x", 1)),
    );
    expect(bare.result.statusCode).toBe(403);
    expect(bare.attempts).toBe(1);
  });
});
