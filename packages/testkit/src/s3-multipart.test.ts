import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { afterEach, describe, expect, it } from "vitest";
import { checksumBase64 } from "./checksums.js";
import { type S3TestServer, type S3TestServerOptions, startS3TestServer } from "./s3-server.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MINUTE = 60_000;
const MiB = 1024 * 1024;

let servers: S3TestServer[] = [];
let clients: S3Client[] = [];
afterEach(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  clients = [];
});

/** A client with no retries, whose clock offset starts at zero. */
function clientFor(server: S3TestServer, maxAttempts = 1): S3Client {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: SECRET },
    maxAttempts,
  });
  clients.push(s3);
  return s3;
}

async function setup(options: S3TestServerOptions = {}) {
  const server = await startS3TestServer(options);
  servers.push(server);
  return { server, s3: clientFor(server) };
}

/** The rejection of a promise; SDK errors carry the S3 body fields as properties. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error("expected the call to fail");
}

function status(error: Record<string, unknown>): number | undefined {
  return (error["$metadata"] as { httpStatusCode?: number } | undefined)?.httpStatusCode;
}

const md5 = (data: Buffer) => createHash("md5").update(data).digest();

/** S3's multipart ETag: MD5 of the concatenated binary part MD5s, `-`, the part count. */
function multipartEtag(parts: readonly Buffer[]): string {
  return `"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-${parts.length}"`;
}

function compositeCrc32(parts: readonly Buffer[]): string {
  const joined = Buffer.concat(
    parts.map((part) => Buffer.from(checksumBase64("crc32", part), "base64")),
  );
  return `${checksumBase64("crc32", joined)}-${parts.length}`;
}

/** A stream of `data` in uneven chunks, so the part boundaries fall inside chunks. */
function streamOf(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 777_777) chunks.push(data.subarray(at, at + 777_777));
  return Readable.from(chunks);
}

async function bodyOf(s3: S3Client, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: "b", Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

describe("lib-storage Upload", () => {
  it("uploads a 20 MiB stream in four 5 MiB parts; the stored object is byte-identical", async () => {
    const { server, s3 } = await setup();
    const data = randomBytes(20 * MiB);
    const parts = [0, 1, 2, 3].map((i) => data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB));

    const result = await new Upload({
      client: s3,
      params: { Bucket: "b", Key: "big.bin", Body: streamOf(data), ContentType: "video/mp4" },
      partSize: 5 * MiB,
    }).done();

    expect(result.ETag).toBe(multipartEtag(parts));
    expect(result.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
    // lib-storage asks for CRC32 at creation: the object gets the composite checksum.
    expect(result.ChecksumCRC32).toBe(compositeCrc32(parts));
    expect(result.ChecksumType).toBe("COMPOSITE");
    expect(result.Location).toBe(`${server.url}/b/big.bin`);
    expect(server.objects.get("b/big.bin")?.equals(data)).toBe(true);
    const read = await bodyOf(s3, "big.bin");
    expect(read.equals(data)).toBe(true);
    const head = await s3.send(
      new GetObjectCommand({ Bucket: "b", Key: "big.bin", Range: "bytes=0-0" }),
    );
    expect(head.ETag).toBe(result.ETag);
    expect(head.ContentType).toBe("video/mp4");

    expect(server.attemptsBy({ operation: "CreateMultipartUpload" })).toBe(1);
    expect(server.attemptsBy({ operation: "UploadPart" })).toBe(4);
    expect(server.attemptsBy({ operation: "CompleteMultipartUpload" })).toBe(1);
    const partNumbers = server.log
      .filter((e) => e.operation === "UploadPart")
      .map((e) => e.partNumber);
    expect(partNumbers.sort()).toEqual([1, 2, 3, 4]);
  });
});

describe("multipart commands", () => {
  it("upload parts with MD5 ETags and checksums, copy ranges, list parts and complete", async () => {
    const { server, s3 } = await setup({ minPartBytes: 1 });
    const source = randomBytes(3000);
    await s3.send(new PutObjectCommand({ Bucket: "b", Key: "source", Body: source }));
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: "b",
        Key: "joined",
        ChecksumAlgorithm: "SHA256",
        ContentType: "text/plain",
        Metadata: { origin: "test" },
      }),
    );
    expect(created.UploadId).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(created.ChecksumAlgorithm).toBe("SHA256");
    const UploadId = created.UploadId as string;

    const first = randomBytes(1000);
    const part1 = await s3.send(
      new UploadPartCommand({
        Bucket: "b",
        Key: "joined",
        UploadId,
        PartNumber: 1,
        Body: first,
        ChecksumAlgorithm: "SHA256",
      }),
    );
    expect(part1.ETag).toBe(`"${md5(first).toString("hex")}"`);
    expect(part1.ChecksumSHA256).toBe(checksumBase64("sha256", first));

    const copied = await s3.send(
      new UploadPartCopyCommand({
        Bucket: "b",
        Key: "joined",
        UploadId,
        PartNumber: 2,
        CopySource: "b/source",
        CopySourceRange: "bytes=1000-1999",
      }),
    );
    const range = source.subarray(1000, 2000);
    expect(copied.CopyPartResult?.ETag).toBe(`"${md5(range).toString("hex")}"`);
    expect(copied.CopyPartResult?.ChecksumSHA256).toBe(checksumBase64("sha256", range));

    const listed = await s3.send(new ListPartsCommand({ Bucket: "b", Key: "joined", UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 1000, part1.ETag],
      [2, 1000, copied.CopyPartResult?.ETag],
    ]);
    expect(listed.ChecksumAlgorithm).toBe("SHA256");
    const paged = await s3.send(
      new ListPartsCommand({ Bucket: "b", Key: "joined", UploadId, MaxParts: 1 }),
    );
    expect([paged.IsTruncated, paged.NextPartNumberMarker, paged.Parts?.length]).toEqual([
      true,
      "1",
      1,
    ]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "b",
        Key: "joined",
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: part1.ETag, ChecksumSHA256: part1.ChecksumSHA256 },
            {
              PartNumber: 2,
              ETag: copied.CopyPartResult?.ETag,
              ChecksumSHA256: copied.CopyPartResult?.ChecksumSHA256,
            },
          ],
        },
      }),
    );
    expect(done.ETag).toBe(multipartEtag([first, range]));
    const composite = Buffer.concat(
      [first, range].map((p) => createHash("sha256").update(p).digest()),
    );
    expect(done.ChecksumSHA256).toBe(`${checksumBase64("sha256", composite)}-2`);
    expect(server.objects.get("b/joined")?.equals(Buffer.concat([first, range]))).toBe(true);
    const object = await s3.send(new GetObjectCommand({ Bucket: "b", Key: "joined" }));
    expect([object.ContentType, object.Metadata?.["origin"]]).toEqual(["text/plain", "test"]);
    // A completed upload is gone.
    const gone = await failure(
      s3.send(new ListPartsCommand({ Bucket: "b", Key: "joined", UploadId })),
    );
    expect(gone.name).toBe("NoSuchUpload");
  });

  it("compute a FULL_OBJECT CRC32C over the whole object, checking the one the client states", async () => {
    const { s3 } = await setup({ minPartBytes: 1 });
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: "b",
        Key: "k",
        ChecksumAlgorithm: "CRC32C",
        ChecksumType: "FULL_OBJECT",
      }),
    );
    const data = [randomBytes(700), randomBytes(300)];
    const parts: CompletedPart[] = [];
    for (const [i, body] of data.entries()) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: i + 1,
          Body: body,
          ChecksumAlgorithm: "CRC32C",
        }),
      );
      parts.push({ PartNumber: i + 1, ETag: part.ETag, ChecksumCRC32C: part.ChecksumCRC32C });
    }
    const whole = checksumBase64("crc32c", Buffer.concat(data));
    const complete = (ChecksumCRC32C: string) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          MultipartUpload: { Parts: parts },
          ChecksumType: "FULL_OBJECT",
          ChecksumCRC32C,
        }),
      );
    // The stated checksum is the object's, not the XML body's.
    const wrong = await failure(complete("AAAAAA=="));
    expect([wrong.name, status(wrong)]).toEqual(["BadDigest", 400]);
    const done = await complete(whole);
    expect(done.ChecksumCRC32C).toBe(whole);
    expect(done.ChecksumType).toBe("FULL_OBJECT");
  });
});

describe("multipart errors, as S3 answers them", () => {
  async function twoSmallParts(options: S3TestServerOptions = {}) {
    const { server, s3 } = await setup(options);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "b", Key: "k", ChecksumAlgorithm: "CRC32" }),
    );
    const parts: CompletedPart[] = [];
    for (const PartNumber of [1, 2]) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber,
          Body: randomBytes(1024),
        }),
      );
      parts.push({ PartNumber, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
    }
    const complete = (Parts: typeof parts) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          MultipartUpload: { Parts },
        }),
      );
    return { server, s3, UploadId: UploadId as string, parts, complete };
  }

  it("EntityTooSmall for a part under 5 MiB that is not the last", async () => {
    const { server, parts, complete } = await twoSmallParts();
    const error = await failure(complete(parts));
    expect([error.name, status(error)]).toEqual(["EntityTooSmall", 400]);
    expect(error.message).toBe("Your proposed upload is smaller than the minimum allowed size");
    expect([error["ProposedSize"], error["MinSizeAllowed"], error["PartNumber"]]).toEqual([
      "1024",
      "5242880",
      "1",
    ]);
    expect(server.objects.has("b/k")).toBe(false);
    // The last part alone may be small.
    const single = await complete(parts.slice(0, 1));
    expect(single.ETag).toMatch(/-1"$/);
  });

  it("InvalidPart for a wrong ETag or a part never uploaded, InvalidPartOrder for a descending list", async () => {
    const { UploadId, parts, complete } = await twoSmallParts({ minPartBytes: 1 });
    const wrongEtag = await failure(complete([{ ...parts[0], ETag: `"${"0".repeat(32)}"` }]));
    expect([
      wrongEtag.name,
      status(wrongEtag),
      wrongEtag["UploadId"],
      wrongEtag["PartNumber"],
    ]).toEqual(["InvalidPart", 400, UploadId, "1"]);
    const missing = await failure(complete([{ ...parts[1], PartNumber: 3 }]));
    expect(missing.name).toBe("InvalidPart");
    const order = await failure(complete([parts[1], parts[0]] as typeof parts));
    expect([order.name, status(order), order["UploadId"]]).toEqual([
      "InvalidPartOrder",
      400,
      UploadId,
    ]);
    const noChecksum = await failure(complete(parts.map(({ ChecksumCRC32: _, ...rest }) => rest)));
    expect([noChecksum.name, noChecksum.message]).toEqual([
      "InvalidRequest",
      "The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.",
    ]);
    // Failed completions leave the upload as it was.
    expect((await complete(parts)).ETag).toMatch(/-2"$/);
  });

  it("NoSuchUpload after AbortMultipartUpload, for every operation on it", async () => {
    const { server, s3, UploadId, parts, complete } = await twoSmallParts();
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "b", Key: "k", UploadId }));
    expect(server.log.at(-1)?.status).toBe(204);
    for (const call of [
      () =>
        s3.send(
          new UploadPartCommand({ Bucket: "b", Key: "k", UploadId, PartNumber: 3, Body: "x" }),
        ),
      () => s3.send(new ListPartsCommand({ Bucket: "b", Key: "k", UploadId })),
      () => complete(parts),
      () => s3.send(new AbortMultipartUploadCommand({ Bucket: "b", Key: "k", UploadId })),
    ]) {
      const error = await failure(call());
      expect([error.name, status(error), error["UploadId"]]).toEqual([
        "NoSuchUpload",
        404,
        UploadId,
      ]);
    }
    // An upload id is bound to its bucket and key.
    const { UploadId: other } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "b", Key: "k" }),
    );
    const elsewhere = await failure(
      s3.send(new ListPartsCommand({ Bucket: "b", Key: "other", UploadId: other })),
    );
    expect(elsewhere.name).toBe("NoSuchUpload");
  });

  it("BadDigest for a part whose checksum or Content-MD5 does not match; a checksum the upload was not created with is refused", async () => {
    const { s3, UploadId } = await twoSmallParts();
    const badCrc = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: 3,
          Body: "abc",
          ChecksumCRC32: "AAAAAA==",
        }),
      ),
    );
    expect([badCrc.name, status(badCrc)]).toEqual(["BadDigest", 400]);
    const badMd5 = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: 3,
          Body: "abc",
          ContentMD5: md5(Buffer.from("abd")).toString("base64"),
        }),
      ),
    );
    expect([badMd5.name, badMd5.message]).toEqual([
      "BadDigest",
      "The Content-MD5 you specified did not match what we received.",
    ]);
    const other = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: 3,
          Body: "abc",
          ChecksumAlgorithm: "SHA1",
        }),
      ),
    );
    expect([other.name, other.message]).toEqual([
      "InvalidRequest",
      "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha1",
    ]);
    // Created with no algorithm, the SDK's default CRC32 on UploadPart is refused, as S3 does.
    const { UploadId: plain } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "b", Key: "plain" }),
    );
    const mismatch = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "plain",
          UploadId: plain,
          PartNumber: 1,
          Body: "abc",
        }),
      ),
    );
    expect(mismatch.message).toBe(
      "Checksum Type mismatch occurred, expected checksum Type: null, actual checksum Type: crc32",
    );
  });

  it("InvalidArgument for a part number outside 1..10000, NoSuchKey for a missing copy source", async () => {
    const { s3, UploadId } = await twoSmallParts();
    const number = await failure(
      s3.send(
        new UploadPartCommand({ Bucket: "b", Key: "k", UploadId, PartNumber: 10_001, Body: "x" }),
      ),
    );
    expect([number.name, number["ArgumentName"], number["ArgumentValue"]]).toEqual([
      "InvalidArgument",
      "partNumber",
      "10001",
    ]);
    const copy = await failure(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: 3,
          CopySource: "b/none",
        }),
      ),
    );
    expect([copy.name, status(copy)]).toEqual(["NoSuchKey", 404]);
  });
});

describe("the server clock during a multipart upload", () => {
  it("refuses a header-signed UploadPart from a client 20 minutes behind with RequestTimeTooSkewed", async () => {
    const { server, s3 } = await setup();
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "b", Key: "k" }));
    server.setClockOffset(20 * MINUTE);
    const error = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber: 1,
          Body: randomBytes(1024),
          ChecksumAlgorithm: undefined,
        }),
      ),
    );
    expect([error.name, status(error)]).toEqual(["RequestTimeTooSkewed", 403]);
    expect(error["MaxAllowedSkewMilliseconds"]).toBe("900000");
    const refused = server.log.at(-1);
    expect([refused?.operation, refused?.partNumber, refused?.code]).toEqual([
      "Authenticate",
      1,
      "RequestTimeTooSkewed",
    ]);
    // The refused part was not stored (a fresh client: this one learned the server's offset).
    server.setClockOffset(0);
    const listed = await clientFor(server).send(
      new ListPartsCommand({ Bucket: "b", Key: "k", UploadId }),
    );
    expect(listed.Parts ?? []).toEqual([]);
  });

  it("steps by itself after the n-th successful part: the parts after it meet the new clock", async () => {
    const { server, s3 } = await setup({ minPartBytes: 1 });
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "b", Key: "k", ChecksumAlgorithm: "CRC32" }),
    );
    server.stepClockAfter({ operation: "UploadPart", count: 2, byMs: 40 * MINUTE });
    const put = (PartNumber: number, client = s3) =>
      client.send(
        new UploadPartCommand({
          Bucket: "b",
          Key: "k",
          UploadId,
          PartNumber,
          Body: randomBytes(100),
        }),
      );
    await put(1);
    expect(server.clockOffsetMs).toBe(0);
    await put(2);
    expect(server.clockOffsetMs).toBe(40 * MINUTE);
    const error = await failure(put(3));
    expect(error.name).toBe("RequestTimeTooSkewed");
    expect(server.log.at(-1)?.partNumber).toBe(3);
    server.stepClock(-40 * MINUTE);
    expect(server.clockOffsetMs).toBe(0);
    // A fresh client (this one learned the +40 min offset from the refusal) on a clock back at 0.
    await put(3, clientFor(server));
    expect(server.clockOffsetMs).toBe(0); // a step happens once
  });

  it("steps on arrival, before judging, so parts already in flight meet the new clock", async () => {
    const { server, s3 } = await setup({ minPartBytes: 1 });
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "b", Key: "k", ChecksumAlgorithm: "CRC32" }),
    );
    server.stepClockAfter({
      operation: "UploadPart",
      count: 3,
      byMs: 40 * MINUTE,
      when: "arrival",
    });
    // Four parts signed at once, as lib-storage's four uploaders do.
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4].map((PartNumber) =>
        clientFor(server).send(
          new UploadPartCommand({
            Bucket: "b",
            Key: "k",
            UploadId,
            PartNumber,
            Body: randomBytes(100),
            ChecksumAlgorithm: undefined,
          }),
        ),
      ),
    );
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect([outcomes.length - refused.length, refused.length]).toEqual([2, 2]);
    for (const outcome of refused) {
      expect((outcome as PromiseRejectedResult).reason.name).toBe("RequestTimeTooSkewed");
    }
    expect(
      server.log.filter((e) => e.code === "RequestTimeTooSkewed").map((e) => e.partNumber),
    ).toHaveLength(2);
  });
});
