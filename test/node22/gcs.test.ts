import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { generateSignedPostPolicyV4, getSignedUrl, withSkewRecovery } from "@skewguard/gcs";
import {
  type GcsTestServer,
  INVALID_JWT_TIME,
  RESUMABLE_CHUNK_GRANULARITY,
  redirectGoogleStorageRequests,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { Storage } from "gcs-storage-latest";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The Node 22 leg for GCS: the newest `@google-cloud/storage` (an npm alias installed in
 * test/node22), which brings google-auth-library 11 (its own gtoken, gaxios 8 with fetch
 * `Headers`), against the GCS fake in the core scenario.
 */

const MINUTE = 60_000;
const SKEW = 20 * MINUTE;

const aliasDir = (alias: string) =>
  realpathSync(fileURLToPath(new URL(`./node_modules/${alias}`, import.meta.url)));

function versionAt(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string })
    .version;
}

/** The version npm installed under an alias in test/node22/node_modules. */
function installedVersion(alias: string): string {
  return versionAt(aliasDir(alias));
}

/** The version of `dependency` the aliased package resolves (Node's lookup, upwards). */
function dependencyVersion(alias: string, dependency: string): string {
  for (let dir = aliasDir(alias); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", dependency);
    if (existsSync(path.join(candidate, "package.json"))) return versionAt(candidate);
  }
  throw new Error(`${dependency} not found from ${alias}`);
}

const servers: GcsTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function gcsServer(clockOffsetMs: number): Promise<GcsTestServer> {
  const server = await startGcsTestServer({ clockOffsetMs });
  servers.push(server);
  return server;
}

/** `new Storage(...)` on the fake, wrapped or not, with its grants sent to the fake. */
async function client(server: GcsTestServer, wrapped: boolean, universeDomain?: string) {
  const events: SkewguardEvent[] = [];
  const offsets = new OffsetStore();
  const key = testServiceAccount();
  const bare = new Storage({
    apiEndpoint: server.url,
    useAuthWithCustomEndpoint: true,
    projectId: "node22",
    credentials: { client_email: key.client_email, private_key: key.private_key },
    retryOptions: { autoRetry: false },
    // A universe other than googleapis.com: self-signed JWTs to the API, no token grants.
    ...(universeDomain ? { universeDomain } : {}),
  });
  const storage = wrapped
    ? withSkewRecovery(bare, { offsets, onEvent: (e) => events.push(e) })
    : bare;
  const auth = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(auth, server.tokenUrl);
  return { storage, events, offsets, types: () => events.map((e) => e.type) };
}

/**
 * `new Storage({ credentials })` on Google's default endpoint, where resumable uploads are
 * authenticated; the auth client's requests (grants, upload steps) are sent to the fake.
 */
async function googleEndpointClient(server: GcsTestServer, wrapped: boolean) {
  const events: SkewguardEvent[] = [];
  const key = testServiceAccount();
  const bare = new Storage({
    projectId: "node22",
    credentials: { client_email: key.client_email, private_key: key.private_key },
  });
  const storage = wrapped
    ? withSkewRecovery(bare, { offsets: new OffsetStore(), onEvent: (e) => events.push(e) })
    : bare;
  const auth = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(auth, server.tokenUrl);
  redirectGoogleStorageRequests(auth, server.url);
  return { storage, types: () => events.map((e) => e.type) };
}

describe("Node 22, the newest @google-cloud/storage", () => {
  it("runs on Node 22 with @google-cloud/storage 8.4 and google-auth-library 11", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(installedVersion("gcs-storage-latest")).toBe("8.4.0");
    const auth = dependencyVersion("gcs-storage-latest", "google-auth-library");
    expect(Number(auth.split(".")[0])).toBeGreaterThanOrEqual(10);
  });

  it("server 20 min ahead: the bare client fails with invalid_grant", async () => {
    const server = await gcsServer(SKEW);
    const { storage } = await client(server, false);
    const failure = await storage
      .bucket("bkt")
      .getFiles()
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failure?.message).toBe(`invalid_grant: ${INVALID_JWT_TIME}`);
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
  });

  it("server 20 min ahead: wrapped, 2 grants, then the token is reused; bytes read back", async () => {
    const server = await gcsServer(SKEW);
    const { storage, events, types } = await client(server, true);
    const bucket = storage.bucket("bkt");
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));

    await bucket.file("n22/a.bin").save(bytes, { resumable: false });
    const [back] = await bucket.file("n22/a.bin").download();
    const [files] = await bucket.getFiles({ prefix: "n22/" });
    await bucket.file("n22/b.txt").save("second", { resumable: false });
    const [second] = await bucket.file("n22/b.txt").download();

    expect(back.equals(bytes)).toBe(true);
    expect(server.objects.get("bkt/n22/a.bin")?.equals(bytes)).toBe(true);
    expect(second.toString()).toBe("second");
    expect(files.map((f) => f.name)).toEqual(["n22/a.bin"]);
    expect(server.counts).toEqual({ token: 2, json: 5, xml: 0 });
    expect(server.grants.map((g) => g.status)).toEqual([400, 200]);
    expect(types()).toEqual(
      expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
    );
    const recovered = events.find((e) => e.type === "request.recovered");
    expect(recovered).toMatchObject({ operation: "token.grant", attempts: 2 });
    expect(Math.abs((recovered?.offsetMs ?? 0) - SKEW)).toBeLessThan(2_000);
  });

  it("server 20 min ahead: getSignedUrl's URLs read and write (200); the library's is expired", async () => {
    const server = await gcsServer(SKEW);
    const { storage } = await client(server, true);
    const file = storage.bucket("bkt").file("n22/signed ä.bin");
    const expires = Date.now() + 10 * MINUTE;
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);

    const [bareUrl] = await file.getSignedUrl({ version: "v4", action: "read", expires });
    const [writeUrl] = await getSignedUrl(file, { version: "v4", action: "write", expires });
    const [readUrl] = await getSignedUrl(file, { version: "v4", action: "read", expires });
    const put = await fetch(writeUrl, { method: "PUT", body: bytes });
    const get = await fetch(readUrl);
    const bare = await fetch(bareUrl);

    expect(put.status).toBe(200);
    expect(get.status).toBe(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain("<Code>ExpiredToken</Code>");
    // One clock probe, then the three fetches; signing needs no token.
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 4 });
  });

  it("server 20 min ahead: 50 concurrent first requests, none fails, 2 grants", async () => {
    const server = await gcsServer(SKEW);
    for (let i = 0; i < 50; i++) server.objects.set(`bkt/c${i}`, Buffer.from(`v${i}`));
    const { storage } = await client(server, true);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => storage.bucket("bkt").file(`c${i}`).download()),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(0);
    expect(server.counts).toEqual({ token: 2, json: 50, xml: 0 });
  });

  it("a grant inside the window teaches the clock from its success (gaxios 8 Headers)", async () => {
    const server = await gcsServer(3 * MINUTE);
    const { storage, offsets } = await client(server, true);
    const auth = (await storage.authClient.getClient()) as unknown as {
      getAccessToken(): Promise<unknown>;
    };
    await auth.getAccessToken();
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
    const learned = offsets.get(new URL(server.url).host)?.offsetMs ?? 0;
    expect(Math.abs(learned - 3 * MINUTE)).toBeLessThan(1_500);
  });

  it("self-signed JWTs, server 20 min ahead: bare refused (401); wrapped, one probe, then accepted", async () => {
    const server = await gcsServer(SKEW);
    const bare = await client(server, false, "fake.test");
    const failure = await bare.storage
      .bucket("bkt")
      .getFiles()
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failure?.message).toBe("Invalid Credentials");
    server.resetCounts();

    const { storage } = await client(server, true, "fake.test");
    await storage.bucket("bkt").file("s.txt").save("self-signed", { resumable: false });
    const [data] = await storage.bucket("bkt").file("s.txt").download();
    expect(data.toString()).toBe("self-signed");
    expect(server.counts).toEqual({ token: 0, json: 2, xml: 1 });
  });

  it("server 20 min ahead: a chunked createWriteStream, bare refused; wrapped, 2 grants, a dropped chunk resumed, bytes identical", async () => {
    const server = await gcsServer(SKEW);
    const bytes = Buffer.from(Array.from({ length: 1_200_000 }, (_, i) => (i * 31 + 7) % 256));
    const chunkSize = 2 * RESUMABLE_CHUNK_GRANULARITY;
    const options = { chunkSize, preconditionOpts: { ifGenerationMatch: 0 } };
    const send = (storage: Storage, name: string) =>
      pipeline(
        Readable.from([bytes.subarray(0, 600_000), bytes.subarray(600_000)]),
        storage.bucket("bkt").file(name).createWriteStream(options),
      ).then(
        () => undefined,
        (error: unknown) => error as Error,
      );

    const bare = await send((await googleEndpointClient(server, false)).storage, "bare.bin");
    expect(bare?.message).toBe(`invalid_grant: ${INVALID_JWT_TIME}`);
    expect(server.uploads).toEqual([]);
    server.resetCounts();

    server.setFaults({ json: { kind: "drop-upload", afterBytes: 300_000 } });
    const { storage, types } = await googleEndpointClient(server, true);
    expect(await send(storage, "wrapped.bin")).toBeUndefined();
    expect(server.objects.get("bkt/wrapped.bin")?.equals(bytes)).toBe(true);
    expect(server.grants.map((g) => g.status)).toEqual([400, 200]);
    expect(server.uploads.map((u) => u.status)).toEqual([200, "dropped", 308, 308, 200]);
    expect(server.uploads[2]?.request).toBe("query");
    expect(types()).toContain("request.recovered");
  });

  it("server 20 min ahead: without a version both sign V2 (8.4's default); the drop-in's reads (200), the library's is expired", async () => {
    const server = await gcsServer(SKEW);
    server.objects.set("bkt/v2.txt", Buffer.from("v2"));
    const { storage } = await client(server, true);
    const file = storage.bucket("bkt").file("v2.txt");
    const expires = Date.now() + 10 * MINUTE;
    const [bareUrl] = await file.getSignedUrl({ action: "read", expires });
    const [ourUrl] = await getSignedUrl(file, { action: "read", expires });
    for (const url of [bareUrl, ourUrl])
      expect(new URL(url).searchParams.has("GoogleAccessId")).toBe(true);
    const [bare, ours] = await Promise.all([fetch(bareUrl), fetch(ourUrl)]);
    expect([bare.status, ours.status]).toEqual([400, 200]);
    expect(await ours.text()).toBe("v2");
  });

  it("server 20 min ahead: the library's POST policy has expired; the drop-in's form stores its file (204)", async () => {
    const server = await gcsServer(SKEW);
    const { storage } = await client(server, true);
    const file = storage.bucket("bkt").file("form.bin");
    const options = { expires: Date.now() + 10 * MINUTE };
    const [bare] = await file.generateSignedPostPolicyV4({ ...options });
    const [ours] = await generateSignedPostPolicyV4(file, { ...options });
    expect(Object.keys(ours.fields)).toEqual(Object.keys(bare.fields));
    const bytes = Buffer.from([1, 2, 3, 4]);
    const post = async (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob([bytes]), "form.bin");
      // A custom apiEndpoint gives the endpoint itself as the URL (the library's choice).
      return (await fetch(`${ours.url}/bkt`, { method: "POST", body: form })).status;
    };
    expect(ours.url).toBe(server.url);
    expect([await post(bare.fields), await post(ours.fields)]).toEqual([400, 204]);
    expect(server.objects.get("bkt/form.bin")?.equals(bytes)).toBe(true);
  });
});
