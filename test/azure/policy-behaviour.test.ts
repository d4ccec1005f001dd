import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import {
  MINUTE,
  azureClient,
  azureServerPerFile,
  counted,
  createContainer,
  failureOf,
  types,
} from "./fixtures.js";

/**
 * What `withSkewRecovery` does to a real `BlobServiceClient`, seen from outside: requests
 * counted at the skew proxy (whose Azurite checks every SharedKey signature), what was stored,
 * the events, and the bare SDK on the same server for comparison. These were unit tests on
 * nock; every shape here is one the proxy really produces.
 */

const server = azureServerPerFile();
const CONTAINER = "policy";
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A refusal no clock fix can cure, which Azurite never gives a SharedKey request. */
const PERMISSION_MISMATCH = {
  status: 403,
  code: "AuthorizationPermissionMismatch",
  message: "This request is not authorized to perform this operation using this permission.",
};

/** The container exists; the server runs `offsetMs` ahead; nothing counted yet. */
async function skewed(offsetMs: number): Promise<void> {
  await createContainer(server(), CONTAINER);
  server().setClockOffset(offsetMs);
  server().resetLog();
}

/** Seeds `name` with `bytes` while the clocks agree, then puts the server `offsetMs` ahead. */
async function seeded(name: string, bytes: Buffer, offsetMs: number): Promise<void> {
  await createContainer(server(), CONTAINER);
  const { service } = azureClient(server(), { wrapped: false });
  await service.getContainerClient(CONTAINER).getBlockBlobClient(name).upload(bytes, bytes.length);
  await skewed(offsetMs);
}

/** A stream that hands out `bytes` in 16 KiB chunks and can be read once. */
function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 16 * 1024)
    chunks.push(bytes.subarray(at, at + 16 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

function skipReasons(events: SkewguardEvent[]): string[] {
  return events.flatMap((e) => (e.type === "recovery.skipped" ? [e.reason] : []));
}

function causes(events: SkewguardEvent[]): string[] {
  return events.flatMap((e) => (e.type === "signature.diagnosed" ? [e.diagnosis.cause] : []));
}

describe("withSkewRecovery on a client", () => {
  it("rejects what is not a storage client", () => {
    expect(() => withSkewRecovery({ url: "https://x" })).toThrow(
      expect.objectContaining({ name: "SkewguardError", code: "SKEWGUARD_UNSUPPORTED_CLIENT" }),
    );
  });

  it("wrapping twice: the last options are in force and a skewed call is resent once, not twice", async () => {
    await skewed(20 * MINUTE);
    const first: SkewguardEvent[] = [];
    const second: SkewguardEvent[] = [];
    const service = new BlobServiceClient(
      server().serviceUrl,
      new StorageSharedKeyCredential(server().accountName, server().accountKey),
    );
    withSkewRecovery(service, { offsets: new OffsetStore(), onEvent: (e) => first.push(e) });
    withSkewRecovery(service, { offsets: new OffsetStore(), onEvent: (e) => second.push(e) });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("twice.txt");
    const { attempts } = await counted(server(), () => blob.upload("wrapped twice", 13));
    expect(attempts).toBe(2);
    expect(first).toEqual([]);
    expect(types(second).filter((t) => t === "request.resigned")).toHaveLength(1);
    expect(types(second).filter((t) => t === "request.recovered")).toHaveLength(1);
    expect((await blob.downloadToBuffer()).toString()).toBe("wrapped twice");
  });
});

describe("response shapes, at the proxy", () => {
  it("a HEAD refused with headers only, Date 20 minutes ahead: re-signed once on that clock; the bare SDK fails", async () => {
    await seeded("head.txt", Buffer.from("abc"), 20 * MINUTE);
    const bare = azureClient(server(), { wrapped: false });
    const bareBlob = bare.service.getContainerClient(CONTAINER).getBlobClient("head.txt");
    const refused = await counted(server(), () => failureOf(bareBlob.getProperties()));
    expect(refused.attempts).toBe(1);
    expect(refused.result).toMatchObject({ statusCode: 403 });

    server().resetLog();
    const { service, events } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlobClient("head.txt");
    const { attempts, result } = await counted(server(), () => blob.getProperties());
    expect(attempts).toBe(2);
    expect(result.contentLength).toBe(3);
    const [rejected, resent] = server().log;
    // The refusal had no body: the Date header was all there was to learn from.
    expect(rejected).toMatchObject({ method: "HEAD", status: 403, rejectedByProxy: true });
    expect(resent).toMatchObject({ method: "HEAD", status: 200 });
    const firstDate = Date.parse(rejected?.requestDate ?? "");
    const secondDate = Date.parse(resent?.requestDate ?? "");
    expect(secondDate - firstDate).toBeGreaterThan(19 * MINUTE);
    // Signed on the server's clock (x-ms-date and Date are whole seconds).
    expect(Math.abs(secondDate - ((resent?.at ?? 0) + 20 * MINUTE))).toBeLessThan(3_000);
    expect(types(events)).toEqual(
      expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
    );
    expect(events.find((e) => e.type === "request.resigned")).toMatchObject({
      operation: "GetBlobProperties",
      requestId: rejected?.requestId,
      host: new URL(server().serviceUrl).host,
    });
  });

  it("a 404 from a server 10 minutes ahead is never resent, wrapped or bare", async () => {
    // A skewed server only answers 404 inside its 15-minute window; its Date shows the skew.
    await skewed(10 * MINUTE);
    const missing = (service: BlobServiceClient) =>
      failureOf(service.getContainerClient(CONTAINER).getBlobClient("missing.txt").download());
    const bare = azureClient(server(), { wrapped: false });
    const bareOutcome = await counted(server(), () => missing(bare.service));
    expect(bareOutcome).toMatchObject({ attempts: 1, result: { statusCode: 404 } });

    const { service, events } = azureClient(server());
    const wrapped = await counted(server(), () => missing(service));
    expect(wrapped).toMatchObject({ attempts: 1, result: { statusCode: 404 } });
    // It saw the skew, and still did not resend: a 404 is not the clock.
    expect(types(events)).toContain("skew.detected");
    expect(types(events)).not.toContain("request.resigned");
  });

  it("a policy 403 (AuthorizationPermissionMismatch) from a server 10 minutes ahead: sent once, like the bare SDK", async () => {
    await seeded("policy.txt", Buffer.from("x"), 10 * MINUTE);
    server().setFaults({ cannedError: PERMISSION_MISMATCH });
    try {
      const read = (service: BlobServiceClient) =>
        failureOf(service.getContainerClient(CONTAINER).getBlobClient("policy.txt").download());
      const bare = await counted(server(), () =>
        read(azureClient(server(), { wrapped: false }).service),
      );
      expect(bare).toMatchObject({
        attempts: 1,
        result: { statusCode: 403, code: "AuthorizationPermissionMismatch" },
      });

      const { service, events } = azureClient(server());
      const wrapped = await counted(server(), () => read(service));
      expect(wrapped).toMatchObject({
        attempts: 1,
        result: { statusCode: 403, code: "AuthorizationPermissionMismatch" },
      });
      expect(types(events)).toContain("skew.detected");
      expect(types(events)).not.toContain("request.resigned");
    } finally {
      server().setFaults({});
    }
  });
});

describe("an explicit single try", () => {
  it("retryOptions.maxTries = 1: the clock failure is diagnosed and reported, not resent; the default client heals", async () => {
    await seeded("single.txt", Buffer.from("one"), 20 * MINUTE);
    const events: SkewguardEvent[] = [];
    const service = withSkewRecovery(
      new BlobServiceClient(
        server().serviceUrl,
        new StorageSharedKeyCredential(server().accountName, server().accountKey),
        { retryOptions: { maxTries: 1 } },
      ),
      { offsets: new OffsetStore(), onEvent: (event) => events.push(event) },
    );
    const blob = service.getContainerClient(CONTAINER).getBlobClient("single.txt");
    const once = await counted(server(), () => failureOf(blob.getProperties()));
    expect(once).toMatchObject({ attempts: 1, result: { statusCode: 403 } });
    expect(skipReasons(events)).toEqual(["resend-disabled"]);
    expect(types(events)).not.toContain("request.resigned");
    // Server ahead: this clock is behind.
    expect(causes(events)).toEqual(["clock-behind"]);

    const healing = azureClient(server());
    const healed = await counted(server(), () =>
      healing.service.getContainerClient(CONTAINER).getBlobClient("single.txt").getProperties(),
    );
    expect(healed.attempts).toBe(2);
    expect(healed.result.contentLength).toBe(3);
  });
});

describe("request bodies, server 20 minutes ahead, fresh client", () => {
  const payload = randomBytes(4096);
  // Every body kind the SDK sends from Node.js (it refuses a Blob and a web stream itself).
  const bodies: Array<{ kind: string; body: () => unknown }> = [
    { kind: "a string", body: () => payload.toString("base64") },
    { kind: "a Buffer", body: () => payload },
    { kind: "a Uint8Array", body: () => new Uint8Array(payload) },
    {
      kind: "an ArrayBuffer",
      body: () => payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length),
    },
  ];

  it.each(bodies)(
    "$kind is resent as it is and stored byte for byte; the bare SDK fails",
    async ({ kind, body }) => {
      const name = `body-${kind.replace(/\W+/g, "-")}`;
      await skewed(20 * MINUTE);
      const expected =
        kind === "a string" ? Buffer.from(payload.toString("base64")) : Buffer.from(payload);
      const upload = (service: BlobServiceClient) =>
        service
          .getContainerClient(CONTAINER)
          .getBlockBlobClient(name)
          .upload(body() as Buffer, expected.length);

      const bare = await counted(server(), () =>
        failureOf(upload(azureClient(server(), { wrapped: false }).service)),
      );
      expect(bare).toMatchObject({ attempts: 1, result: { statusCode: 403 } });

      const { service, events } = azureClient(server());
      const wrapped = await counted(server(), () => upload(service));
      expect(wrapped.attempts).toBe(2);
      expect(types(events)).toContain("request.recovered");
      const stored = await service
        .getContainerClient(CONTAINER)
        .getBlobClient(name)
        .downloadToBuffer();
      expect(sha256(stored)).toBe(sha256(expected));
    },
  );

  const CAP = 64 * 1024;

  it("a stream of exactly replayBufferBytes is resent and stored byte for byte", async () => {
    await skewed(20 * MINUTE);
    const { service, events } = azureClient(server(), { replayBufferBytes: CAP });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("at-cap.bin");
    const bytes = randomBytes(CAP);
    const { attempts } = await counted(server(), () => blob.upload(streamOf(bytes), bytes.length));
    expect(attempts).toBe(2);
    expect(types(events)).toContain("request.recovered");
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(bytes));
  });

  it("one byte over replayBufferBytes: sent once, skipped as body-not-replayable; the next one goes out whole", async () => {
    const before = Buffer.from("the blob as it was before");
    await seeded("over-cap.bin", before, 20 * MINUTE);
    const { service, events } = azureClient(server(), { replayBufferBytes: CAP });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("over-cap.bin");
    const first = randomBytes(CAP + 1);
    const failed = await counted(server(), () =>
      failureOf(blob.upload(streamOf(first), first.length)),
    );
    expect(failed).toMatchObject({ attempts: 1, result: { statusCode: 403 } });
    expect(skipReasons(events)).toEqual(["body-not-replayable"]);
    expect(events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      operation: "PutBlob",
    });
    expect(causes(events)).toContain("clock-behind");
    expect((await blob.downloadToBuffer()).equals(before)).toBe(true);

    // Learned now: the same oversized stream goes out once, every byte of it, including those
    // read ahead to find out whether it fitted.
    const second = randomBytes(CAP + 1);
    const healed = await counted(server(), () => blob.upload(streamOf(second), second.length));
    expect(healed.attempts).toBe(1);
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(second));
  });

  it("a web ReadableStream is handed to the SDK untouched: the same outcome as the bare SDK", async () => {
    // @azure/storage-blob 12.32 on Node.js refuses a web stream body before sending anything
    // ("Unrecognized body type"). Had skewguard read it into a buffer to replay it, the wrapped
    // upload would succeed where the bare one fails: it must not differ.
    await skewed(20 * MINUTE);
    const bytes = randomBytes(1024);
    const web = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(bytes));
          controller.close();
        },
      });
    const upload = (service: BlobServiceClient) =>
      failureOf(
        service
          .getContainerClient(CONTAINER)
          .getBlockBlobClient("web.bin")
          .upload(web() as never, bytes.length),
      );
    const bare = await counted(server(), () =>
      upload(azureClient(server(), { wrapped: false }).service),
    );
    const { service, events } = azureClient(server());
    const wrapped = await counted(server(), () => upload(service));
    expect(wrapped.attempts).toBe(bare.attempts);
    expect(String(wrapped.result)).toBe(String(bare.result));
    expect(types(events)).not.toContain("request.resigned");
  });
});
