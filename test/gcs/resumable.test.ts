import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { File, Storage } from "@google-cloud/storage";
import {
  type GcsTestServer,
  INVALID_JWT_TIME,
  RESUMABLE_CHUNK_GRANULARITY,
} from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import {
  accessTokenOf,
  expectNothingSecret,
  failureOf,
  gcsServer,
  MINUTE,
  measuredOnStorage,
  recorder,
  SKEWS,
  storageFor,
  storageOnGoogleEndpoint,
} from "./fixtures.js";

/**
 * Resumable uploads, the library's default for `createWriteStream()` and `save()`: a session
 * opened with one authenticated POST, then PUTs of the bytes. Their first request needs a
 * token, so on a skewed clock the grant is refused before any byte leaves; wrapped, the grant
 * is redone on the server's clock and the upload goes through. Bytes are compared with what
 * the fake stored.
 */

/** Deterministic, not repetitive: a shifted byte shows as a mismatch. */
function payload(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

type Path = "createWriteStream" | "save" | "createResumableUpload";

/** One resumable upload of `bytes` to `bkt/<name>` the way `path` does it. */
async function upload(file: File, path: Path, bytes: Buffer): Promise<void> {
  if (path === "createWriteStream") {
    // Several writes, as a file or network stream delivers them.
    const pieces = [0, 1, 2, 3].map((i) =>
      bytes.subarray((i * bytes.length) / 4, ((i + 1) * bytes.length) / 4),
    );
    return pipeline(Readable.from(pieces), file.createWriteStream());
  }
  if (path === "save") return file.save(bytes);
  const [uri] = await file.createResumableUpload();
  return file.save(bytes, { uri });
}

interface Outcome {
  error: string | undefined;
  stored: boolean;
  grants: number[];
  uploads: Array<[string, number | string, boolean]>;
}

async function run(
  server: GcsTestServer,
  storage: Storage,
  path: Path,
  bytes: Buffer,
  name: string,
): Promise<Outcome> {
  server.resetCounts();
  const error = await failureOf(upload(storage.bucket("bkt").file(name), path, bytes));
  return {
    error: error?.message,
    stored: server.objects.get(`bkt/${name}`)?.equals(bytes) ?? false,
    grants: server.grants.map((g) => g.status),
    uploads: server.uploads.map((u) => [u.request, u.status, u.authorization]),
  };
}

describe.each(SKEWS)("resumable uploads on Google's endpoint, server clock %s", (_, skew) => {
  it.each<Path>(["createWriteStream", "save", "createResumableUpload"])(
    "%s: the bare SDK gets no token; wrapped, 2 grants and the bytes stored identical",
    async (path) => {
      const server = await gcsServer(skew);
      const bytes = payload(700_000, Math.abs(skew));
      const bare = await run(
        server,
        await storageOnGoogleEndpoint(server, false),
        path,
        bytes,
        "bare.bin",
      );
      const rec = recorder();
      const storage = await storageOnGoogleEndpoint(server, rec.options);
      const wrapped = await run(server, storage, path, bytes, "wrapped.bin");

      // Bare: the grant is refused for its times; no upload request is ever sent.
      expect(bare).toEqual({
        error: `invalid_grant: ${INVALID_JWT_TIME}`,
        stored: false,
        grants: [400],
        uploads: [],
      });
      // Wrapped: the refused grant is redone at once on the server's clock; every step of the
      // upload carries the token (the default endpoint authenticates them all). An upload
      // given a session URI asks first how far that session got.
      const resumed: Outcome["uploads"] =
        path === "createResumableUpload" ? [["query", 308, true]] : [];
      expect(wrapped).toEqual({
        error: undefined,
        stored: true,
        grants: [400, 200],
        uploads: [["initiate", 200, true], ...resumed, ["chunk", 200, true]],
      });
      const recovered = rec.events.find((e) => e.type === "request.recovered");
      expect(recovered).toMatchObject({ operation: "token.grant", attempts: 2 });
      expect(Math.abs((recovered?.offsetMs ?? 0) - skew)).toBeLessThan(2_000);
      expectNothingSecret(
        [...rec.events.map((e) => JSON.stringify(e)), ...rec.lines],
        [(await accessTokenOf(storage)) ?? "no token"],
      );
    },
  );
});

describe("a chunked resumable upload whose connection drops mid-chunk", () => {
  const chunkSize = 2 * RESUMABLE_CHUNK_GRANULARITY;
  const bytes = payload(3 * chunkSize + 12_345, 7);

  /** The drop hits the first chunk 300 000 bytes in: the fake keeps its first 256 KiB. */
  async function droppingServer(skew: number): Promise<GcsTestServer> {
    const server = await gcsServer(skew, {
      faults: { json: { kind: "drop-upload", afterBytes: 300_000 } },
    });
    return server;
  }

  async function chunked(
    storage: Storage,
    name: string,
    retryable: boolean,
  ): Promise<Error | undefined> {
    const file = storage.bucket("bkt").file(name);
    const pieces = Array.from({ length: 40 }, (_, i) =>
      bytes.subarray((i * bytes.length) / 40, ((i + 1) * bytes.length) / 40),
    );
    // The library retries an upload only when it is idempotent: a generation precondition
    // makes it so (without one, the drop fails the upload, bare or wrapped).
    const options = retryable
      ? { chunkSize, preconditionOpts: { ifGenerationMatch: 0 } }
      : { chunkSize };
    return failureOf(pipeline(Readable.from(pieces), file.createWriteStream(options)));
  }

  it("wrapped at +20 min: 2 grants, the session resumes from the fake's 256 KiB, bytes identical", async () => {
    const server = await droppingServer(20 * MINUTE);
    const rec = recorder();
    const storage = await storageOnGoogleEndpoint(server, rec.options);
    const error = await chunked(storage, "big.bin", true);

    expect(error).toBeUndefined();
    expect(server.objects.get("bkt/big.bin")?.equals(bytes)).toBe(true);
    expect(server.grants.map((g) => g.status)).toEqual([400, 200]);
    expect(server.uploads.map((u) => [u.request, u.status, u.contentRange])).toEqual([
      ["initiate", 200, undefined],
      ["chunk", "dropped", `bytes 0-${chunkSize - 1}/*`],
      ["query", 308, "bytes */*"],
      // Resumed at 256 KiB, where the fake's Range said it stopped.
      [
        "chunk",
        308,
        `bytes ${RESUMABLE_CHUNK_GRANULARITY}-${RESUMABLE_CHUNK_GRANULARITY + chunkSize - 1}/*`,
      ],
      [
        "chunk",
        308,
        `bytes ${RESUMABLE_CHUNK_GRANULARITY + chunkSize}-${RESUMABLE_CHUNK_GRANULARITY + 2 * chunkSize - 1}/*`,
      ],
      [
        "chunk",
        200,
        `bytes ${RESUMABLE_CHUNK_GRANULARITY + 2 * chunkSize}-${bytes.length - 1}/${bytes.length}`,
      ],
    ]);
    expect(server.uploads.every((u) => u.authorization)).toBe(true);
    expect(rec.types()).toContain("request.recovered");
  });

  it("the same drop, bare and wrapped, on agreeing clocks: both resume identically; without a precondition both fail", async () => {
    const server = await droppingServer(0);
    const outcomes: Array<[string, string | undefined, boolean, number]> = [];
    for (const wrap of [false, true] as const) {
      for (const retryable of [true, false]) {
        server.setFaults({ json: { kind: "drop-upload", afterBytes: 300_000 } });
        server.resetCounts();
        const storage = await storageOnGoogleEndpoint(server, wrap ? recorder().options : false);
        const name = `${wrap ? "wrapped" : "bare"}-${retryable ? "retry" : "once"}.bin`;
        const error = await chunked(storage, name, retryable);
        outcomes.push([
          name,
          error?.message,
          server.objects.get(`bkt/${name}`)?.equals(bytes) ?? false,
          server.uploads.length,
        ]);
      }
    }
    expect(outcomes).toEqual([
      ["bare-retry.bin", undefined, true, 6],
      ["bare-once.bin", expect.stringMatching(/^Retry limit exceeded/), false, 2],
      ["wrapped-retry.bin", undefined, true, 6],
      ["wrapped-once.bin", expect.stringMatching(/^Retry limit exceeded/), false, 2],
    ]);
  });
});

describe("a custom apiEndpoint (useAuthWithCustomEndpoint: true)", () => {
  it("createWriteStream sends no credentials there (the library's doing), bare or wrapped: 401, nothing to heal", async () => {
    const server = await gcsServer(20 * MINUTE);
    const outcomes: Array<[string | undefined, number[], Outcome["uploads"]]> = [];
    for (const wrap of [false, true] as const) {
      const rec = recorder();
      const storage = await storageFor(server, { wrap: wrap ? rec.options : false });
      const outcome = await run(server, storage, "createWriteStream", payload(1000), `${wrap}.bin`);
      outcomes.push([outcome.error, outcome.grants, outcome.uploads]);
      expect(rec.events).toEqual([]);
    }
    const refused: [string, number, boolean] = ["initiate", 401, false];
    // The library's own error: 7.15 names the status, 8.4 passes on the server's message.
    const error = measuredOnStorage({
      "7.15.0": "Request failed with status code 401",
      "8.4.0": "Invalid Credentials",
    });
    expect(outcomes).toEqual([
      [error, [], [refused]],
      [error, [], [refused]],
    ]);
  });

  it("createResumableUpload does send them (8.4; 7.15 does not): wrapped, it recovers, and save({ uri }) completes the upload", async () => {
    const server = await gcsServer(-20 * MINUTE);
    const bytes = payload(500_000, 3);
    const bare = await run(
      server,
      await storageFor(server, { wrap: false }),
      "createResumableUpload",
      bytes,
      "bare.bin",
    );
    const rec = recorder();
    const wrapped = await run(
      server,
      await storageFor(server, { wrap: rec.options }),
      "createResumableUpload",
      bytes,
      "wrapped.bin",
    );

    if (!measuredOnStorage({ "7.15.0": false, "8.4.0": true })) {
      // As createWriteStream above: no token asked for, the session refused, nothing to heal.
      const refused = {
        error: "Request failed with status code 401",
        stored: false,
        grants: [],
        uploads: [["initiate", 401, false]],
      };
      expect([bare, wrapped]).toEqual([refused, refused]);
      expect(rec.events).toEqual([]);
      return;
    }
    expect(bare).toEqual({
      error: `invalid_grant: ${INVALID_JWT_TIME}`,
      stored: false,
      grants: [400],
      uploads: [],
    });
    // The session URI is its own credential: the PUT that follows carries no token.
    expect(wrapped).toEqual({
      error: undefined,
      stored: true,
      grants: [400, 200],
      uploads: [
        ["initiate", 200, true],
        ["query", 308, false],
        ["chunk", 200, false],
      ],
    });
    expect(rec.types()).toContain("request.recovered");
  });
});
