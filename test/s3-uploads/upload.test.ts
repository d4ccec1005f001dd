import { createHash, randomFillSync } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import type { S3TestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { MINUTE, measuredOnSdk, s3Client, s3Server } from "../s3/fixtures.js";

const MiB = 1024 * 1024;
const PART_BYTES = 5 * MiB;
const REPLAY_BUFFER_BYTES = 8 * MiB;

/** Random bytes, made as they are read: `size` bytes in 1 MiB chunks, hashed on the way. */
function source(size: number) {
  let pulled = 0;
  const hash = createHash("sha256");
  const pulls: number[] = [];
  async function* chunks() {
    for (let offset = 0; offset < size; offset += MiB) {
      const chunk = randomFillSync(Buffer.alloc(Math.min(MiB, size - offset)));
      pulled += chunk.length;
      pulls.push(pulled);
      hash.update(chunk);
      yield chunk;
    }
  }
  return {
    stream: Readable.from(chunks(), { objectMode: false, highWaterMark: MiB }),
    pulled: () => pulled,
    digest: () => hash.digest("hex"),
  };
}

interface UploadRun {
  ok: boolean;
  code?: string | undefined;
  /** Requests the server counted during the upload. */
  attempts: number;
  /** The highest SDK attempt number the server saw (`amz-sdk-request`): 2 is an SDK retry. */
  maxSdkAttempt: number;
  /** Requests per part number (UploadPart, refused ones included). */
  perPart: Map<number, number>;
  /** The most bytes read from the source and not yet stored by the server, at any read. */
  maxHeldBytes: number;
  sameBytes: boolean;
}

/** Uploads `size` bytes as a stream through lib-storage's `Upload`, and reads them back. */
async function upload(
  server: S3TestServer,
  client: S3Client,
  { key, size = 20 * MiB, queueSize = 4 }: { key: string; size?: number; queueSize?: number },
): Promise<UploadRun> {
  const data = source(size);
  const before = server.attempts;
  const logStart = server.log.length;
  let maxHeldBytes = 0;
  const stored = () =>
    server.log.slice(logStart).filter((e) => e.operation === "UploadPart" && e.status === 200)
      .length * PART_BYTES;
  // Sample what is held each time lib-storage reads more of the stream.
  data.stream.on("data", () => {
    maxHeldBytes = Math.max(maxHeldBytes, data.pulled() - stored());
  });
  const outcome = await new Upload({
    client,
    params: { Bucket: "b", Key: key, Body: data.stream },
    partSize: PART_BYTES,
    queueSize,
  })
    .done()
    .then(
      () => ({ ok: true }),
      (error: { name?: string; Code?: string }) => ({ ok: false, code: error.Code ?? error.name }),
    );
  const attempts = server.attempts - before;
  const perPart = new Map<number, number>();
  let maxSdkAttempt = 0;
  for (const entry of server.log.slice(logStart)) {
    maxSdkAttempt = Math.max(maxSdkAttempt, entry.sdkAttempt ?? 0);
    if (entry.partNumber !== undefined) {
      perPart.set(entry.partNumber, (perPart.get(entry.partNumber) ?? 0) + 1);
    }
  }
  let sameBytes = false;
  if (outcome.ok) {
    const got = await client.send(new GetObjectCommand({ Bucket: "b", Key: key }));
    const bytes = await got.Body?.transformToByteArray();
    sameBytes =
      createHash("sha256")
        .update(bytes ?? new Uint8Array())
        .digest("hex") === data.digest();
  }
  return { ...outcome, attempts, maxSdkAttempt, perPart, maxHeldBytes, sameBytes };
}

const types = (events: SkewguardEvent[]) => events.map((e) => e.type);

/** Each of the 4 parts was stored once; `resent` of them after one refusal, none more. */
function expectParts(run: UploadRun, resent: (count: number) => void) {
  expect([...run.perPart.keys()].sort()).toEqual([1, 2, 3, 4]);
  for (const count of run.perPart.values()) expect(count).toBeLessThanOrEqual(2);
  resent([...run.perPart.values()].filter((count) => count === 2).length);
}

/**
 * What the bare SDK makes of a clock step in the middle of an upload: from the newest `lib-storage`
 * on, a refused part is sent again after a backoff; 3.700 does not send a refused stream part
 * again, and the upload fails.
 */
const BARE_SURVIVES_A_STEP = measuredOnSdk({ "3.700.0": false, "3.1178.0": true });

describe("S3: lib-storage Upload, a 20 MiB stream in 5 MiB parts", { timeout: 60_000 }, () => {
  for (const offset of [20 * MINUTE, -20 * MINUTE, 120 * MINUTE]) {
    it(`server clock ${offset / MINUTE} min: the bare SDK retries CreateMultipartUpload after a backoff, the plugin resends it at once`, async () => {
      const server = await s3Server({ clockOffsetMs: offset });
      const bare = await upload(server, s3Client(server, { wrapped: false }).client, {
        key: "bare.bin",
      });
      const { client, events } = s3Client(server);
      const wrapped = await upload(server, client, { key: "wrapped.bin" });

      // Bare: the refused CreateMultipartUpload is the SDK's attempt 2, after its backoff;
      // then its learned offset signs every part.
      expect(bare).toMatchObject({ ok: true, sameBytes: true, attempts: 7, maxSdkAttempt: 2 });
      expectParts(bare, (resent) => expect(resent).toBe(0));
      // Wrapped: the same 7 requests, the resend inside the SDK's first attempt.
      expect(wrapped).toMatchObject({ ok: true, sameBytes: true, attempts: 7, maxSdkAttempt: 1 });
      expectParts(wrapped, (resent) => expect(resent).toBe(0));
      expect(types(events)).toEqual([
        "skew.detected",
        "skew.corrected",
        "request.resigned",
        "request.recovered",
      ]);
      expect(events.find((e) => e.type === "request.resigned")?.operation).toBe(
        "CreateMultipartUpload",
      );
      // A 20 MiB upload with queueSize 4 never holds more than the 4 parts in flight.
      for (const run of [bare, wrapped]) {
        expect(run.maxHeldBytes).toBeLessThanOrEqual(4 * PART_BYTES + REPLAY_BUFFER_BYTES);
      }
    });
  }

  it("a +40 min step as the 2nd part arrives is healed part by part, each part resent at most once", async () => {
    const runs: Record<string, UploadRun> = {};
    const resigned: Record<string, string[]> = {};
    for (const mode of ["bare", "wrapped"] as const) {
      const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
      const { client, events } = s3Client(server, { wrapped: mode === "wrapped" });
      server.stepClockAfter({
        operation: "UploadPart",
        count: 2,
        byMs: 40 * MINUTE,
        when: "arrival",
      });
      runs[mode] = await upload(server, client, { key: `${mode}.bin` });
      resigned[mode] = events
        .filter((e) => e.type === "request.resigned")
        .map((e) => e.operation ?? "");
    }
    const { bare, wrapped } = runs as { bare: UploadRun; wrapped: UploadRun };
    // The parts signed before the step was learned are refused once and sent again: the SDK
    // after a backoff (its attempt 2), the plugin at once (still attempt 1).
    if (BARE_SURVIVES_A_STEP) {
      expect(bare).toMatchObject({ ok: true, sameBytes: true, maxSdkAttempt: 2 });
      expectParts(bare, (resent) => expect(resent).toBeGreaterThanOrEqual(1));
    } else {
      expect(bare).toMatchObject({ ok: false, code: "RequestTimeTooSkewed", sameBytes: false });
    }
    expect(wrapped).toMatchObject({ ok: true, sameBytes: true, maxSdkAttempt: 1 });
    expectParts(wrapped, (resent) => {
      expect(resent).toBeGreaterThanOrEqual(1);
      // One resend per refused part, and one for the skewed CreateMultipartUpload.
      expect(resigned.wrapped?.filter((op) => op === "UploadPart")).toHaveLength(resent);
    });
    expect(resigned.wrapped?.[0]).toBe("CreateMultipartUpload");
  });

  it("memory: 40 MiB with queueSize 2 and a clock step holds at most queueSize x partSize + the replay buffer", async () => {
    const runs: UploadRun[] = [];
    for (const wrapped of [false, true]) {
      const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
      const { client } = s3Client(server, { wrapped });
      server.stepClockAfter({
        operation: "UploadPart",
        count: 3,
        byMs: 40 * MINUTE,
        when: "arrival",
      });
      runs.push(await upload(server, client, { key: "big.bin", size: 40 * MiB, queueSize: 2 }));
    }
    const [bare, wrapped] = runs as [UploadRun, UploadRun];
    expect(bare).toMatchObject({ ok: BARE_SURVIVES_A_STEP, sameBytes: BARE_SURVIVES_A_STEP });
    expect(wrapped).toMatchObject({ ok: true, sameBytes: true });
    expect(wrapped.perPart.size).toBe(8);
    for (const run of runs) {
      for (const count of run.perPart.values()) expect(count).toBeLessThanOrEqual(2);
      // Counted, not sampled from RSS (the in-process server keeps every byte it stores):
      // the bytes read from the stream that the server has not stored yet.
      expect(run.maxHeldBytes).toBeLessThanOrEqual(2 * PART_BYTES + REPLAY_BUFFER_BYTES);
    }
    // Parts are Buffers, which the plugin resends as they are: it holds nothing more.
    expect(runs[1]?.maxHeldBytes).toBeLessThanOrEqual((runs[0]?.maxHeldBytes ?? 0) + 1 * MiB);
  });
});
