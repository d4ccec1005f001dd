import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { MINUTE, counted, countedFailure, s3Client, s3Server } from "./fixtures.js";

const KIB = 1024;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256));

function streamOf(data: Buffer, chunk = 8 * KIB): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts);
}

const putStream = (client: S3Client, key: string, data: Buffer) =>
  client.send(
    new PutObjectCommand({
      Bucket: "b",
      Key: key,
      Body: streamOf(data),
      ContentLength: data.length,
    }),
  );

async function stored(client: S3Client, key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: "b", Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe("S3: streamed request bodies", () => {
  it("a 64 KiB stream PutObject at +20 min succeeds in 2 attempts and stores identical bytes", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client } = s3Client(server);
    const data = bytes(64 * KIB);
    const run = await counted(server, () => putStream(client, "stream", data));
    expect(run.attempts).toBe(2);
    expect(server.objects.get("b/stream")?.equals(data)).toBe(true);
    expect((await stored(client, "stream")).equals(data)).toBe(true);
  });

  it("a stream of exactly replayBufferBytes is replayed", async () => {
    const server = await s3Server({ clockOffsetMs: -20 * MINUTE });
    const { client } = s3Client(server, { replayBufferBytes: 16 * KIB });
    const data = bytes(16 * KIB);
    expect((await counted(server, () => putStream(client, "edge", data))).attempts).toBe(2);
    expect(server.objects.get("b/edge")?.equals(data)).toBe(true);
  });

  it("a stream over replayBufferBytes: the original error, body-not-replayable, nothing corrupted, the next call succeeds", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client, events } = s3Client(server, { replayBufferBytes: 16 * KIB });
    const data = bytes(16 * KIB + 1);
    const failed = await countedFailure(server, () => putStream(client, "big", data));
    expect(failed.error).toMatchObject({
      name: "RequestTimeTooSkewed",
      $metadata: { httpStatusCode: 403 },
    });
    expect(failed.attempts).toBe(1);
    expect(server.objects.has("b/big")).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "recovery.skipped", reason: "body-not-replayable" }),
    );
    const next = await counted(server, () => putStream(client, "big", data));
    expect(next.attempts).toBe(1);
    expect(server.objects.get("b/big")?.equals(data)).toBe(true);
    expect((await stored(client, "big")).equals(data)).toBe(true);
  });
});
