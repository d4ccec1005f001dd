import path from "node:path";
import { fileURLToPath } from "node:url";
import { Storage } from "@google-cloud/storage";
import { JWT } from "google-auth-library";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type GcsTestServer,
  redirectGoogleTokenRequests,
  type ServiceAccountKey,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { signV4Url } from "./v4-signer.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const MIN = 60_000;
const SCOPE = "https://www.googleapis.com/auth/devstorage.full_control";
const INVALID_JWT_TIME =
  "invalid_grant: Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

let account: ServiceAccountKey;
const servers: GcsTestServer[] = [];

beforeAll(() => {
  process.env["SKEWGUARD_CONFORMANCE_DIR"] = path.resolve(repoRoot, "test", "conformance");
  account = testServiceAccount();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(clockOffsetMs = 0): Promise<GcsTestServer> {
  const server = await startGcsTestServer({ clockOffsetMs });
  servers.push(server);
  return server;
}

/**
 * The usual setup (`new Storage({ credentials })`) pointed at the fake: `apiEndpoint` moves
 * the JSON API, `useAuthWithCustomEndpoint` keeps the bearer token on a custom endpoint, and
 * the auth client's token requests are redirected (gtoken ignores `token_uri`).
 */
async function storageFor(server: GcsTestServer): Promise<Storage> {
  const storage = new Storage({
    apiEndpoint: server.url,
    useAuthWithCustomEndpoint: true,
    projectId: "test-project",
    credentials: { client_email: account.client_email, private_key: account.private_key },
    retryOptions: { autoRetry: false },
  });
  redirectGoogleTokenRequests((await storage.authClient.getClient()) as JWT, server.tokenUrl);
  return storage;
}

function jwtFor(server: GcsTestServer, additionalClaims?: Record<string, unknown>): JWT {
  const jwt = new JWT({
    email: account.client_email,
    key: account.private_key,
    scopes: [SCOPE],
    ...(additionalClaims ? { additionalClaims } : {}),
  });
  redirectGoogleTokenRequests(jwt, server.tokenUrl);
  return jwt;
}

/**
 * A response header, from gaxios 7+'s fetch `Headers` (not always this realm's class: read by
 * its `get`) or gaxios 6's plain object.
 */
function headerOf(headers: unknown, name: string): string | undefined {
  const fetchHeaders = headers as { get?: unknown } | undefined;
  if (typeof fetchHeaders?.get === "function")
    return (fetchHeaders as Headers).get(name) ?? undefined;
  return (headers as Record<string, string> | undefined)?.[name];
}

describe("@google-cloud/storage against the GCS fake", () => {
  it("uploads, downloads, lists, reads metadata and deletes with one token grant", async () => {
    const server = await start();
    const storage = await storageFor(server);
    const file = storage.bucket("bkt").file("dir/hello world.txt");

    await file.save("hello", { resumable: false, contentType: "text/plain" });
    const [data] = await file.download();
    const [files] = await storage.bucket("bkt").getFiles({ prefix: "dir/" });
    const [metadata] = await file.getMetadata();
    await file.delete();

    expect(data.toString()).toBe("hello");
    expect(files.map((f) => f.name)).toEqual(["dir/hello world.txt"]);
    expect(metadata).toMatchObject({ size: "5", contentType: "text/plain" });
    expect(server.objects.size).toBe(0);
    expect(server.counts).toEqual({ token: 1, json: 5, xml: 0 });
  });

  it("works the same with a JWT given as authClient", async () => {
    const server = await start();
    const storage = new Storage({
      apiEndpoint: server.url,
      useAuthWithCustomEndpoint: true,
      authClient: jwtFor(server),
    });
    await storage.bucket("bkt").file("a").save("x", { resumable: false });
    const [files] = await storage.bucket("bkt").getFiles();
    expect(files.map((f) => f.name)).toEqual(["a"]);
    expect(server.counts.token).toBe(1);
  });

  it("sends no token on resumable uploads to a custom endpoint, so the fake refuses them", async () => {
    // File#startResumableUpload_ does not pass useAuthWithCustomEndpoint on, and the Upload
    // drops the auth client for hosts outside the universe domain (resumable-upload.js).
    const server = await start();
    const storage = await storageFor(server);
    await expect(storage.bucket("bkt").file("r").save("data")).rejects.toMatchObject({
      status: 401,
    });
    expect(server.counts.token).toBe(0);
  });

  it.each([
    ["+20 min", 20 * MIN],
    ["-20 min", -20 * MIN],
    ["+2 h", 120 * MIN],
  ])(
    "fails the grant with invalid_grant when the server clock is %s, asking once",
    async (_, offset) => {
      const server = await start(offset);
      const storage = await storageFor(server);
      const failure = await storage
        .bucket("bkt")
        .getFiles()
        .then(
          () => undefined,
          (error: unknown) => error as Error & { response?: { status: number; headers: object } },
        );
      expect(failure?.message).toBe(INVALID_JWT_TIME);
      expect(failure?.response?.status).toBe(400);
      // The server's Date is right there, whichever shape gaxios gives the headers.
      const date = headerOf(failure?.response?.headers, "date");
      expect(Math.abs(Date.parse(date ?? "") - server.now())).toBeLessThan(2000);
      expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
    },
  );

  it("re-reads additionalClaims getters on every grant (skewguard's hook for iat/exp)", async () => {
    const server = await start(20 * MIN);
    let offsetMs = 0;
    const claims = {
      get iat() {
        return Math.floor((Date.now() + offsetMs) / 1000);
      },
      get exp() {
        return Math.floor((Date.now() + offsetMs) / 1000) + 3600;
      },
    };
    const jwt = jwtFor(server, claims);
    await expect(jwt.getAccessToken()).rejects.toThrow(/invalid_grant/);
    offsetMs = 20 * MIN;
    await expect(jwt.getAccessToken()).resolves.toMatchObject({ token: expect.any(String) });
    expect(server.counts.token).toBe(2);
  });
});

describe("V4 signed URLs verified by the GCS fake", () => {
  it("accepts the library's own read and write URLs at offset 0", async () => {
    const server = await start();
    const storage = await storageFor(server);
    const file = storage.bucket("bkt").file("signed/ä b.txt");
    const expires = Date.now() + 10 * MIN;

    const [writeUrl] = await file.getSignedUrl({ version: "v4", action: "write", expires });
    const put = await fetch(writeUrl, { method: "PUT", body: "signed body" });
    const [readUrl] = await file.getSignedUrl({ version: "v4", action: "read", expires });
    const get = await fetch(readUrl);

    expect(writeUrl.startsWith(`${server.url}/bkt/signed/`)).toBe(true);
    expect(put.status).toBe(200);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("signed body");
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 2 });
  });

  it("accepts the library's URL when only getSignedUrl's host option points at the fake", async () => {
    const server = await start();
    server.objects.set("bkt/o", Buffer.from("x"));
    const storage = new Storage({
      credentials: { client_email: account.client_email, private_key: account.private_key },
    });
    const [url] = await storage
      .bucket("bkt")
      .file("o")
      .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + MIN, host: server.url });
    expect((await fetch(url)).status).toBe(200);
  });

  it("answers the library's URL with ExpiredToken / InvalidArgument when the clocks disagree", async () => {
    const ahead = await start(20 * MIN);
    const behind = await start(-20 * MIN);
    for (const [server, code] of [
      [ahead, "ExpiredToken"],
      [behind, "InvalidArgument"],
    ] as const) {
      const storage = await storageFor(server);
      const [url] = await storage
        .bucket("bkt")
        .file("o")
        .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 10 * MIN });
      const response = await fetch(url);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(`<Code>${code}</Code>`);
    }
  });

  it("accepts skewguard's signer, signed at the server's time", async () => {
    const server = await start(20 * MIN);
    server.objects.set("bkt/dir/x y", Buffer.from("ok"));
    const { url } = await signV4Url({
      bucket: "bkt",
      object: "dir/x y",
      method: "GET",
      expiresInSeconds: 600,
      timestampMs: server.now(),
      clientEmail: account.client_email,
      privateKey: account.private_key,
      host: server.url,
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });
});
