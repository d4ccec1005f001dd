import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import * as sdk from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type S3TestServer, type S3TestServerOptions, startS3TestServer } from "@skewguard/testkit";
import semver from "semver";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { measuredOnSdk, SDK_VERSION } from "./fixtures.js";

// The bare SDK against the testkit's S3 server: the server answers as S3 does, and the SDK's
// own clock handling (what skewguard must beat) is recorded here.
type S3Client = sdk.S3Client;

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/** From 3.729.0 on, the SDK sends a CRC32 of every upload by default (its release notes). */
const DEFAULT_CHECKSUMS = semver.gte(SDK_VERSION, "3.729.0");
const MINUTE = 60_000;

let servers: S3TestServer[] = [];
let clients: S3Client[] = [];
const scratch = mkdtempSync(join(tmpdir(), "skewguard-testkit-"));

afterEach(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  clients = [];
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function setup(
  options: S3TestServerOptions = {},
  client: { secret?: string; maxAttempts?: number } = {},
) {
  const server = await startS3TestServer(options);
  servers.push(server);
  const s3 = new sdk.S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: client.secret ?? SECRET },
    ...(client.maxAttempts === undefined ? {} : { maxAttempts: client.maxAttempts }),
  });
  clients.push(s3);
  return { server, s3 };
}

/** The rejection of a promise, typed loosely: SDK errors carry the S3 body fields as properties. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error("expected the call to fail");
}

describe("@aws-sdk/client-s3 against the test server, clocks agreeing", () => {
  it("puts strings, buffers and streams and stores exactly the bytes sent", async () => {
    const { server, s3 } = await setup();
    const buffer = randomBytes(1000);
    const streamed = randomBytes(64 * 1024 + 1);
    const large = randomBytes(3 * 1024 * 1024);
    const filePath = join(scratch, "upload.bin");
    const fileBytes = randomBytes(10_000);
    writeFileSync(filePath, fileBytes);

    await s3.send(new sdk.CreateBucketCommand({ Bucket: "bkt" }));
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: "bkt",
        Key: "str.txt",
        Body: "hello world",
        ContentType: "text/plain",
      }),
    );
    await s3.send(new sdk.PutObjectCommand({ Bucket: "bkt", Key: "dir/buffer.bin", Body: buffer }));
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: "bkt",
        Key: "dir/stream.bin",
        Body: Readable.from([streamed.subarray(0, 1000), streamed.subarray(1000)]),
        ContentLength: streamed.length,
      }),
    );
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: "bkt",
        Key: "file.bin",
        Body: createReadStream(filePath),
      }),
    );
    // 3 MiB: past the SDK's 2 MiB threshold for `Expect: 100-continue`.
    await s3.send(new sdk.PutObjectCommand({ Bucket: "bkt", Key: "large.bin", Body: large }));

    expect(server.objects.get("bkt/str.txt")?.toString()).toBe("hello world");
    expect(server.objects.get("bkt/dir/buffer.bin")?.equals(buffer)).toBe(true);
    expect(server.objects.get("bkt/dir/stream.bin")?.equals(streamed)).toBe(true);
    expect(server.objects.get("bkt/file.bin")?.equals(fileBytes)).toBe(true);
    expect(server.objects.get("bkt/large.bin")?.equals(large)).toBe(true);
    expect(server.attempts).toBe(6);

    // What the SDK chose for each body: signed hashes for strings and buffers; for streams,
    // aws-chunked with an unsigned CRC32 trailer, or before default checksums an unsigned body.
    const payloadOf = (key: string) => server.log.find((entry) => entry.key === key)?.contentSha256;
    const streamPayload = DEFAULT_CHECKSUMS
      ? "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
      : "UNSIGNED-PAYLOAD";
    expect(payloadOf("str.txt")).toMatch(/^[0-9a-f]{64}$/);
    expect(payloadOf("dir/stream.bin")).toBe(streamPayload);
    expect(payloadOf("file.bin")).toBe(streamPayload);
  });

  it("gets, heads, lists and deletes", async () => {
    const { server, s3 } = await setup();
    for (const key of ["a.txt", "dir/b.txt", "dir/c.txt", "z.txt"]) {
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket: "bkt",
          Key: key,
          Body: `body of ${key}`,
          ContentType: "text/plain",
        }),
      );
    }
    const got = await s3.send(new sdk.GetObjectCommand({ Bucket: "bkt", Key: "dir/b.txt" }));
    expect(await got.Body?.transformToString()).toBe("body of dir/b.txt");
    expect(got.ContentType).toBe("text/plain");
    expect(got.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    const ranged = await s3.send(
      new sdk.GetObjectCommand({ Bucket: "bkt", Key: "a.txt", Range: "bytes=0-3" }),
    );
    expect(await ranged.Body?.transformToString()).toBe("body");

    const head = await s3.send(new sdk.HeadObjectCommand({ Bucket: "bkt", Key: "z.txt" }));
    expect(head.ContentLength).toBe("body of z.txt".length);

    const listed = await s3.send(new sdk.ListObjectsV2Command({ Bucket: "bkt" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([
      "a.txt",
      "dir/b.txt",
      "dir/c.txt",
      "z.txt",
    ]);
    expect(listed.KeyCount).toBe(4);

    const grouped = await s3.send(new sdk.ListObjectsV2Command({ Bucket: "bkt", Delimiter: "/" }));
    expect(grouped.Contents?.map((object) => object.Key)).toEqual(["a.txt", "z.txt"]);
    expect(grouped.CommonPrefixes?.map((common) => common.Prefix)).toEqual(["dir/"]);

    const keys: string[] = [];
    for await (const page of sdk.paginateListObjectsV2(
      { client: s3, pageSize: 3 },
      { Bucket: "bkt" },
    )) {
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ""));
    }
    expect(keys).toEqual(["a.txt", "dir/b.txt", "dir/c.txt", "z.txt"]);

    await s3.send(new sdk.DeleteObjectCommand({ Bucket: "bkt", Key: "a.txt" }));
    expect(server.objects.has("bkt/a.txt")).toBe(false);
    const missing = await failure(
      s3.send(new sdk.GetObjectCommand({ Bucket: "bkt", Key: "a.txt" })),
    );
    expect(missing.name).toBe("NoSuchKey");
    const missingHead = await failure(
      s3.send(new sdk.HeadObjectCommand({ Bucket: "bkt", Key: "a.txt" })),
    );
    expect(missingHead.name).toBe("NotFound");
    // Nothing was retried.
    expect(server.log.every((entry) => entry.sdkAttempt === 1)).toBe(true);
  });

  it("refuses a wrong secret with SignatureDoesNotMatch, once", async () => {
    const { server, s3 } = await setup({}, { secret: "not-the-secret" });
    const error = await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "bkt", Key: "k" })));
    expect(error.name).toBe("SignatureDoesNotMatch");
    expect(error["AWSAccessKeyId"]).toBe("AKIDEXAMPLE");
    expect(String(error["StringToSign"]).split("\n")[0]).toBe("AWS4-HMAC-SHA256");
    expect(server.attempts).toBe(1);
  });

  it("refuses unknown keys and denied prefixes, once each", async () => {
    const { server, s3 } = await setup({ credentials: { OTHERKEY: SECRET } });
    expect((await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" })))).name).toBe(
      "InvalidAccessKeyId",
    );
    const denied = await setup();
    const error = await failure(
      denied.s3.send(new sdk.PutObjectCommand({ Bucket: "b", Key: "denied/x", Body: "x" })),
    );
    expect(error.name).toBe("AccessDenied");
    expect(error.message).toBe("Access Denied");
    expect(server.attempts + denied.server.attempts).toBe(2);
  });
});

describe("@aws-sdk/client-s3 with the server clock skewed", () => {
  it.each([
    ["+20 min", 20 * MINUTE],
    ["-20 min", -20 * MINUTE],
    ["+2 h", 120 * MINUTE],
  ])(
    "%s: the first attempt gets RequestTimeTooSkewed, the SDK's retry succeeds",
    async (_label, offset) => {
      const { server, s3 } = await setup({ clockOffsetMs: offset });
      const put = await s3.send(
        new sdk.PutObjectCommand({ Bucket: "b", Key: "k", Body: "skewed" }),
      );
      expect(put.$metadata.attempts).toBe(2);
      expect(server.log.map((entry) => [entry.sdkAttempt, entry.status, entry.code])).toEqual([
        [1, 403, "RequestTimeTooSkewed"],
        [2, 200, undefined],
      ]);
      expect(server.objects.get("b/k")?.toString()).toBe("skewed");
      // Learned: the next call goes through at once.
      const got = await s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" }));
      expect(got.$metadata.attempts).toBe(1);
    },
  );

  it("a 3 MiB upload is refused before its body is sent (100-continue), then retried", async () => {
    const { server, s3 } = await setup({ clockOffsetMs: 20 * MINUTE });
    const large = randomBytes(3 * 1024 * 1024);
    const put = await s3.send(new sdk.PutObjectCommand({ Bucket: "b", Key: "large", Body: large }));
    expect(put.$metadata.attempts).toBe(2);
    expect(server.log.map((entry) => entry.code ?? entry.status)).toEqual([
      "RequestTimeTooSkewed",
      200,
    ]);
    expect(server.objects.get("b/large")?.equals(large)).toBe(true);
  });

  it("a stream upload meets the skew error and cannot be replayed", async () => {
    const { server, s3 } = await setup({ clockOffsetMs: 20 * MINUTE });
    const bytes = randomBytes(64 * 1024);
    const outcome = await s3
      .send(
        new sdk.PutObjectCommand({
          Bucket: "b",
          Key: "stream",
          Body: Readable.from([bytes]),
          ContentLength: bytes.length,
        }),
      )
      .then(
        (output) => ({ ok: true as const, attempts: output.$metadata.attempts }),
        (error: Error) => ({ ok: false as const, name: error.name }),
      );
    // The SDK does not retry a consumed stream: the caller gets the skew error after 1 attempt.
    expect(outcome).toEqual({ ok: false, name: "RequestTimeTooSkewed" });
    expect(server.attempts).toBe(1);
    expect(server.objects.has("b/stream")).toBe(false);
  });

  it("hands the S3 evidence to the caller when it may not retry", async () => {
    const { server, s3 } = await setup({ clockOffsetMs: 20 * MINUTE }, { maxAttempts: 1 });
    const error = await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" })));
    expect(error.name).toBe("RequestTimeTooSkewed");
    expect(error["MaxAllowedSkewMilliseconds"]).toBe("900000");
    expect(Math.abs(Date.parse(String(error["ServerTime"])) - server.now())).toBeLessThan(2000);
    expect(String(error["RequestTime"])).toMatch(/^\d{8}T\d{6}Z$/);
    expect(server.attempts).toBe(1);
  });

  it("SignatureDoesNotMatch style: the error carries the string the client signed", async () => {
    const { server, s3 } = await setup(
      { clockOffsetMs: 20 * MINUTE, errorStyle: "SignatureDoesNotMatch" },
      { maxAttempts: 1 },
    );
    const error = await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" })));
    expect(error.name).toBe("SignatureDoesNotMatch");
    const [, signedAt] = String(error["StringToSign"]).split("\n");
    // Signed on the client's clock, which is 20 minutes behind the server's.
    const signedMs = Date.parse(
      `${signedAt?.slice(0, 4)}-${signedAt?.slice(4, 6)}-${signedAt?.slice(6, 8)}T${signedAt?.slice(9, 11)}:${signedAt?.slice(11, 13)}:${signedAt?.slice(13, 15)}Z`,
    );
    expect(Math.abs(signedMs - Date.now())).toBeLessThan(5000);
    expect(String(error["CanonicalRequest"])).toContain(`x-amz-date:${signedAt}`);
    expect(server.attempts).toBe(1);
  });

  it("SignatureDoesNotMatch style: the SDK learns from Date, then retries even the 404", async () => {
    const { server, s3 } = await setup({
      clockOffsetMs: 20 * MINUTE,
      errorStyle: "SignatureDoesNotMatch",
    });
    const error = await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "missing" })));
    // Re-signed on the corrected clock, the key's absence is what remains...
    expect(error.name).toBe("NoSuchKey");
    const codes = server.log.map((entry) => entry.code);
    expect(codes[0]).toBe("SignatureDoesNotMatch");
    expect(codes.slice(1).every((code) => code === "NoSuchKey")).toBe(true);
    // ...but each answer's whole-second Date moves the learned offset a little, which marks
    // the 404 as clock-corrected: the SDK retries it (observed: 3 attempts in all).
    expect(codes.length).toBeGreaterThanOrEqual(2);
    expect(codes.length).toBeLessThanOrEqual(3);
  });

  it("HEAD: a stale request gets a bodiless 403", async () => {
    const { s3 } = await setup({ clockOffsetMs: 20 * MINUTE }, { maxAttempts: 1 });
    const error = await failure(s3.send(new sdk.HeadObjectCommand({ Bucket: "b", Key: "k" })));
    expect((error["$metadata"] as { httpStatusCode: number }).httpStatusCode).toBe(403);
    // Without a body (S3 sends none on HEAD) the SDK cannot name the error.
    expect(error.name).toBe(measuredOnSdk({ "3.700.0": "403", "3.1178.0": "Unknown" }));
  });
});

describe("presigned URLs from @aws-sdk/s3-request-presigner", () => {
  it("GET works at offset 0 and expires when the server is 20 minutes ahead", async () => {
    const { server, s3 } = await setup();
    server.objects.set("b/k", Buffer.from("presigned"));
    const url = await getSignedUrl(s3, new sdk.GetObjectCommand({ Bucket: "b", Key: "k" }), {
      expiresIn: 900,
    });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("presigned");

    server.setClockOffset(20 * MINUTE);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    const body = await expired.text();
    expect(body).toContain(
      "<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>900</X-Amz-Expires>",
    );
  });

  it("PUT stores the bytes, ignoring the SDK's empty-body CRC32 in the query as S3 does", async () => {
    const { server, s3 } = await setup();
    const url = await getSignedUrl(s3, new sdk.PutObjectCommand({ Bucket: "b", Key: "up" }), {
      expiresIn: 900,
    });
    expect(new URL(url).searchParams.get("x-amz-checksum-crc32")).toBe(
      DEFAULT_CHECKSUMS ? "AAAAAA==" : null,
    );
    const response = await fetch(url, { method: "PUT", body: "uploaded through a presigned URL" });
    expect(response.status).toBe(200);
    expect(server.objects.get("b/up")?.toString()).toBe("uploaded through a presigned URL");
  });
});

describe("flavor gcs with @aws-sdk/client-s3 (GCS XML API with HMAC keys)", () => {
  it("round-trips objects", async () => {
    const { server, s3 } = await setup({ flavor: "gcs" });
    await s3.send(new sdk.PutObjectCommand({ Bucket: "b", Key: "k", Body: "to gcs" }));
    const got = await s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" }));
    expect(await got.Body?.transformToString()).toBe("to gcs");
    expect(server.objects.get("b/k")?.toString()).toBe("to gcs");
  });

  it("refuses a wrong secret the GCS way", async () => {
    const { s3 } = await setup({ flavor: "gcs" }, { secret: "wrong" });
    const error = await failure(s3.send(new sdk.GetObjectCommand({ Bucket: "b", Key: "k" })));
    expect(error.name).toBe("SignatureDoesNotMatch");
    expect(error.message).toBe("Access denied.");
    expect(String(error["Details"])).toContain("Check your Google secret key");
  });

  it("at +20 min the SDK recovers from the Date header alone", async () => {
    const { server, s3 } = await setup({ flavor: "gcs", clockOffsetMs: 20 * MINUTE });
    const put = await s3.send(new sdk.PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
    expect(put.$metadata.attempts).toBe(2);
    expect(server.log[0]?.code).toBe("RequestTimeTooSkewed");
  });
});
