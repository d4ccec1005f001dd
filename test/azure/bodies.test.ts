import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  MINUTE,
  azureClient,
  azureServerPerFile,
  counted,
  createContainer,
  types,
} from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "stream-bodies";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A stream that hands out `bytes` in 16 KiB chunks and can be read once. */
function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 16 * 1024)
    chunks.push(bytes.subarray(at, at + 16 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

describe("stream uploads at +20 minutes from a fresh client", () => {
  it("a stream within replayBufferBytes is buffered, resent once and stored byte for byte", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    const { service, events } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("buffered.bin");
    const payload = randomBytes(256 * 1024);
    const { attempts } = await counted(server(), () =>
      blob.upload(streamOf(payload), payload.length),
    );
    expect(attempts).toBe(2);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(payload));
    expect(types(events)).toContain("request.recovered");
  });

  it("a stream beyond replayBufferBytes is sent once: skipped, nothing stored, the next call heals", async () => {
    await createContainer(server(), CONTAINER);
    const previous = Buffer.from("the blob as it was before");
    const { service: seed } = azureClient(server(), { wrapped: false });
    await seed
      .getContainerClient(CONTAINER)
      .getBlockBlobClient("big.bin")
      .upload(previous, previous.length);

    server().setClockOffset(20 * MINUTE);
    const { service, events } = azureClient(server(), { replayBufferBytes: 64 * 1024 });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("big.bin");
    const first = randomBytes(512 * 1024);
    const failed = await counted(server(), () =>
      blob
        .upload(streamOf(first), first.length)
        .catch((error: unknown) => error as { statusCode?: number }),
    );
    expect(failed.attempts).toBe(1);
    expect(failed.result).toMatchObject({ statusCode: 403 });
    const skipped = events.find((e) => e.type === "recovery.skipped");
    expect(skipped).toMatchObject({ reason: "body-not-replayable", operation: "PutBlob" });
    // No corruption: the stored blob is still the one from before.
    expect((await blob.downloadToBuffer()).equals(previous)).toBe(true);

    const second = randomBytes(512 * 1024);
    const healed = await counted(server(), () => blob.upload(streamOf(second), second.length));
    expect(healed.attempts).toBe(1);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(second));
  });

  it("a stream factory (() => stream) is replayed as it is, without buffering", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(-20 * MINUTE);
    const { service } = azureClient(server(), { replayBufferBytes: 0 });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("factory.bin");
    const payload = randomBytes(128 * 1024);
    let opened = 0;
    const factory = () => {
      opened++;
      return streamOf(payload);
    };
    const { attempts } = await counted(server(), () => blob.upload(factory, payload.length));
    expect(attempts).toBe(2);
    expect(opened).toBe(2);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(payload));
  });
});
