import { createHash, createSign } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { XMLParser } from "fast-xml-parser";
import { request as httpRequest } from "node:http";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { crc32c } from "./gcs-object-store.js";
import { type GcsTestServer, startGcsTestServer } from "./gcs-server.js";
import { generateTestPrivateKey, testServiceAccount } from "./gcs-service-account.js";
import { INVALID_JWT_SIGNATURE, INVALID_JWT_TIME } from "./gcs-token-grant.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const SCOPE = "https://www.googleapis.com/auth/devstorage.full_control";
const GOOGLE_AUD = "https://oauth2.googleapis.com/token";
const MIN = 60_000;

let account: ReturnType<typeof testServiceAccount>;
const servers: GcsTestServer[] = [];

beforeAll(() => {
  process.env["SKEWGUARD_CONFORMANCE_DIR"] = path.resolve(repoRoot, "test", "conformance");
  account = testServiceAccount();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof startGcsTestServer>[0] = {}) {
  const server = await startGcsTestServer(options);
  servers.push(server);
  return server;
}

/** The status of a GET over node:http (fetch's own timers would run on fake time too). */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

function jwt(claims: Record<string, unknown>, key = account.private_key): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(key, "base64url")}`;
}

/** A grant whose claims are stamped from `clientNow`, as gtoken stamps them from the local clock. */
async function grant(
  server: GcsTestServer,
  options: {
    clientNow?: number;
    lifetimeSeconds?: number;
    claims?: Record<string, unknown>;
    key?: string;
  } = {},
) {
  const iat = Math.floor((options.clientNow ?? Date.now()) / 1000);
  const assertion = jwt(
    {
      iss: account.client_email,
      scope: SCOPE,
      aud: GOOGLE_AUD,
      iat,
      exp: iat + (options.lifetimeSeconds ?? 3600),
      ...options.claims,
    },
    options.key,
  );
  const response = await fetch(server.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion,
    }),
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

async function bearer(server: GcsTestServer): Promise<Record<string, string>> {
  const { body } = await grant(server);
  return { authorization: `Bearer ${String(body["access_token"])}` };
}

const KIB256 = 256 * 1024;

/** Opens a JSON API resumable session for `bk/r` and returns its URI. */
async function openSession(
  server: GcsTestServer,
  auth: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<string> {
  const init = await fetch(`${server.url}/upload/storage/v1/b/bk/o?uploadType=resumable&name=r`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", ...headers },
    body: "{}",
  });
  expect(init.status).toBe(200);
  return init.headers.get("location")!;
}

/** One PUT to a session URI. */
function put(
  session: string,
  body: Buffer,
  contentRange: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(session, {
    method: "PUT",
    headers: { "content-range": contentRange, ...headers },
    body,
  });
}

/** A minimal V4 signer for a host-only GET/PUT: the spec spelled out once more, on purpose. */
function signUrl(server: GcsTestServer, method: string, object: string, signedAtMs: number) {
  const date = new Date(Math.floor(signedAtMs / 1000) * 1000)
    .toISOString()
    .replace(/[-:]|\.\d{3}/g, "");
  const scope = `${date.slice(0, 8)}/auto/storage/goog4_request`;
  const query = [
    "X-Goog-Algorithm=GOOG4-RSA-SHA256",
    `X-Goog-Credential=${encodeURIComponent(`${account.client_email}/${scope}`)}`,
    `X-Goog-Date=${date}`,
    "X-Goog-Expires=900",
    "X-Goog-SignedHeaders=host",
  ].join("&");
  const canonical = `${method}\n/b/${object}\n${query}\nhost:127.0.0.1\n\nhost\nUNSIGNED-PAYLOAD`;
  const hash = createHash("sha256").update(canonical).digest("hex");
  const stringToSign = `GOOG4-RSA-SHA256\n${date}\n${scope}\n${hash}`;
  const signature = createSign("RSA-SHA256").update(stringToSign).sign(account.private_key, "hex");
  return `${server.url}/b/${object}?${query}&X-Goog-Signature=${signature}`;
}

const xml = new XMLParser();

describe("GCS fake: OAuth token endpoint", () => {
  it("grants a bearer token for a JWT signed with the account's key", async () => {
    const server = await start();
    const { response, body } = await grant(server);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ expires_in: 3599, token_type: "Bearer" });
    expect(body["access_token"]).toEqual(expect.stringMatching(/^ya29\./));
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
  });

  it.each([
    ["client 20 minutes ahead (iat in the future)", { clientNow: Date.now() + 20 * MIN }],
    ["client 20 minutes behind (iat stale)", { clientNow: Date.now() - 20 * MIN }],
    ["client 2 hours behind (exp in the past)", { clientNow: Date.now() - 120 * MIN }],
    // Relative to the grant's own iat: a table value computed at load time goes stale.
    ["a lifetime over 60 minutes", { lifetimeSeconds: 3601 }],
  ])("refuses %s with Google's invalid_grant wording", async (_, options) => {
    const server = await start();
    const { response, body } = await grant(server, options);
    expect(response.status).toBe(400);
    expect(body).toEqual({ error: "invalid_grant", error_description: INVALID_JWT_TIME });
  });

  it("judges iat/exp by its own clock, not the client's", async () => {
    const server = await start({ clockOffsetMs: 20 * MIN });
    expect((await grant(server)).response.status).toBe(400);
    expect((await grant(server, { clientNow: Date.now() + 20 * MIN })).response.status).toBe(200);
    server.setClockOffset(0);
    expect((await grant(server)).response.status).toBe(200);
  });

  it("refuses a JWT signed with another key", async () => {
    const server = await start();
    const { response, body } = await grant(server, { key: generateTestPrivateKey() });
    expect(response.status).toBe(400);
    expect(body).toEqual({ error: "invalid_grant", error_description: INVALID_JWT_SIGNATURE });
  });

  it("refuses unknown accounts, foreign audiences, missing scopes and other grant types", async () => {
    const server = await start();
    expect(
      (await grant(server, { claims: { iss: "nobody@x.iam.gserviceaccount.com" } })).body,
    ).toMatchObject({ error: "invalid_grant" });
    expect(
      (await grant(server, { claims: { aud: "https://example.com/token" } })).body,
    ).toMatchObject({ error: "invalid_grant" });
    expect((await grant(server, { claims: { scope: "" } })).body).toMatchObject({
      error: "invalid_scope",
    });
    const other = await fetch(server.tokenUrl, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    expect(other.status).toBe(400);
    expect(server.counts.token).toBe(4);
  });

  it("accepts its own token URL as audience", async () => {
    const server = await start();
    expect((await grant(server, { claims: { aud: server.tokenUrl } })).response.status).toBe(200);
  });
});

describe("GCS fake: JSON API", () => {
  it("answers 401 in GCS's shape without an issued token", async () => {
    const server = await start();
    const response = await fetch(`${server.url}/storage/v1/b/b/o`, {
      headers: { authorization: "Bearer made-up" },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        code: 401,
        message: "Invalid Credentials",
        errors: [
          {
            message: "Invalid Credentials",
            domain: "global",
            reason: "authError",
            locationType: "header",
            location: "Authorization",
          },
        ],
      },
    });
  });

  it("stops honouring a token once it has expired by the server's clock", async () => {
    const server = await start();
    const auth = await bearer(server);
    expect((await fetch(`${server.url}/storage/v1/b/b/o`, { headers: auth })).status).toBe(200);
    server.setClockOffset(61 * MIN);
    expect((await fetch(`${server.url}/storage/v1/b/b/o`, { headers: auth })).status).toBe(401);
  });

  it("uploads (media, multipart), reads, lists, downloads with hashes and deletes", async () => {
    const server = await start();
    const auth = await bearer(server);
    const base = `${server.url}/storage/v1/b/bk/o`;
    const media = await fetch(
      `${server.url}/upload/storage/v1/b/bk/o?uploadType=media&name=a/1.txt`,
      {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain" },
        body: "123456789",
      },
    );
    expect(await media.json()).toMatchObject({
      kind: "storage#object",
      name: "a/1.txt",
      bucket: "bk",
      size: "9",
      contentType: "text/plain",
      crc32c: Buffer.from("e3069283", "hex").toString("base64"),
      md5Hash: createHash("md5").update("123456789").digest("base64"),
    });
    const boundary = "xyz";
    const multipart = await fetch(`${server.url}/upload/storage/v1/b/bk/o?uploadType=multipart`, {
      method: "POST",
      headers: { ...auth, "content-type": `multipart/related; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"name":"a/b/2.bin","contentType":"application/x-test"}\r\n--${boundary}\r\nContent-Type: application/x-test\r\n\r\nbinary\r\n\r\n--${boundary}--`,
    });
    expect(await multipart.json()).toMatchObject({ name: "a/b/2.bin", size: "8" });
    expect(server.objects.get("bk/a/b/2.bin")?.toString()).toBe("binary\r\n");

    const meta = await fetch(`${base}/${encodeURIComponent("a/1.txt")}`, { headers: auth });
    expect(await meta.json()).toMatchObject({ name: "a/1.txt", generation: expect.any(String) });
    const download = await fetch(`${base}/${encodeURIComponent("a/1.txt")}?alt=media`, {
      headers: auth,
    });
    expect(await download.text()).toBe("123456789");
    expect(download.headers.get("x-goog-hash")).toBe(
      `crc32c=4waSgw==,md5=${createHash("md5").update("123456789").digest("base64")}`,
    );

    const listed = (await (
      await fetch(`${base}?prefix=a/&delimiter=/`, { headers: auth })
    ).json()) as {
      items: Array<{ name: string }>;
      prefixes: string[];
    };
    expect(listed.items.map((i) => i.name)).toEqual(["a/1.txt"]);
    expect(listed.prefixes).toEqual(["a/b/"]);

    const del = `${base}/${encodeURIComponent("a/1.txt")}`;
    expect((await fetch(del, { method: "DELETE", headers: auth })).status).toBe(204);
    expect((await fetch(del, { method: "DELETE", headers: auth })).status).toBe(404);
    expect(server.counts).toEqual({ token: 1, json: 7, xml: 0 });
  });

  it("runs a chunked resumable upload; the session URI needs no token", async () => {
    const server = await start();
    const auth = await bearer(server);
    const bytes = Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 7) % 251));
    const session = await openSession(server, auth, { "x-upload-content-type": "text/x" });
    // A first chunk of exactly 256 KiB is persisted whole.
    const first = await put(session, bytes.subarray(0, KIB256), `bytes 0-${KIB256 - 1}/*`);
    expect(first.status).toBe(308);
    expect(first.headers.get("range")).toBe(`bytes=0-${KIB256 - 1}`);
    // 300 000 more bytes: only whole 256 KiB are persisted of a chunk that is not the last.
    const second = await put(
      session,
      bytes.subarray(KIB256, KIB256 + 300_000),
      `bytes ${KIB256}-${KIB256 + 299_999}/*`,
    );
    expect(second.status).toBe(308);
    expect(second.headers.get("range")).toBe(`bytes=0-${2 * KIB256 - 1}`);
    // A status query says the same; the client resumes from there, with the total.
    const query = await put(session, Buffer.alloc(0), "bytes */*");
    expect(query.status).toBe(308);
    expect(query.headers.get("range")).toBe(`bytes=0-${2 * KIB256 - 1}`);
    const last = await put(
      session,
      bytes.subarray(2 * KIB256),
      `bytes ${2 * KIB256}-${bytes.length - 1}/${bytes.length}`,
    );
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({
      name: "r",
      size: String(bytes.length),
      contentType: "text/x",
    });
    expect(server.objects.get("bk/r")?.equals(bytes)).toBe(true);
    // A finished session answers with the object (a client whose last answer was lost asks again).
    const again = await put(session, Buffer.alloc(0), "bytes */*");
    expect(again.status).toBe(200);
    expect(server.uploads.map((u) => [u.request, u.status, u.bytes, u.authorization])).toEqual([
      ["initiate", 200, 2, true],
      ["chunk", 308, KIB256, false],
      ["chunk", 308, 300_000, false],
      ["query", 308, 0, false],
      ["chunk", 200, bytes.length - 2 * KIB256, false],
      ["query", 200, 0, false],
    ]);
  });

  it("checks a bearer token sent to a session URI, and refuses chunks that skip ahead", async () => {
    const server = await start();
    const auth = await bearer(server);
    const session = await openSession(server, auth);
    const forged = await put(session, Buffer.from("abc"), "bytes 0-2/3", {
      authorization: "Bearer ya29.forged",
    });
    expect(forged.status).toBe(401);
    const ahead = await put(session, Buffer.from("abc"), "bytes 5-7/8");
    expect(ahead.status).toBe(400);
    expect(JSON.stringify(await ahead.json())).toContain("exceeds already uploaded size of 0");
    const malformed = await put(session, Buffer.from("abc"), "bytes=0-2/3");
    expect(malformed.status).toBe(400);
    const ok = await put(session, Buffer.from("abc"), "bytes 0-2/3", auth);
    expect(ok.status).toBe(200);
    expect(server.objects.get("bk/r")?.toString()).toBe("abc");
  });

  it("finishes a single-request upload of unknown size (bytes 0-*/*), as createWriteStream sends it", async () => {
    const server = await start();
    const session = await openSession(server, await bearer(server));
    const res = await put(session, Buffer.from("whole body"), "bytes 0-*/*");
    expect(res.status).toBe(200);
    expect(server.objects.get("bk/r")?.toString()).toBe("whole body");
  });

  it("keeps whole 256 KiB of a chunk whose connection dropped, then lets the client resume", async () => {
    const server = await start({ faults: { json: { kind: "drop-upload", afterBytes: 300_000 } } });
    const session = await openSession(server, await bearer(server));
    const bytes = Buffer.from(Array.from({ length: 2 * KIB256 }, (_, i) => i % 256));
    const dropped = await put(session, bytes, `bytes 0-${bytes.length - 1}/${bytes.length}`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(dropped).toBeInstanceOf(Error);
    const query = await put(session, Buffer.alloc(0), "bytes */*");
    expect(query.headers.get("range")).toBe(`bytes=0-${KIB256 - 1}`);
    // Dropped once only: the rest goes through.
    const rest = await put(
      session,
      bytes.subarray(KIB256),
      `bytes ${KIB256}-${bytes.length - 1}/${bytes.length}`,
    );
    expect(rest.status).toBe(200);
    expect(server.objects.get("bk/r")?.equals(bytes)).toBe(true);
    expect(server.uploads.map((u) => u.status)).toEqual([200, "dropped", 308, 200]);
    expect(server.uploads[1]?.bytes).toBe(300_000);
  });

  it("refuses a session opened with ifGenerationMatch=0 when the object exists", async () => {
    const server = await start();
    const auth = await bearer(server);
    server.objects.set("bk/r", Buffer.from("there"));
    const init = await fetch(
      `${server.url}/upload/storage/v1/b/bk/o?uploadType=resumable&name=r&ifGenerationMatch=0`,
      { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" },
    );
    expect(init.status).toBe(412);
  });

  it("refuses to start a resumable upload without a token", async () => {
    const server = await start();
    const init = await fetch(`${server.url}/upload/storage/v1/b/bk/o?uploadType=resumable&name=r`, {
      method: "POST",
    });
    expect(init.status).toBe(401);
  });
});

describe("GCS fake: XML API with V4 signed URLs", () => {
  it("serves and stores through signed URLs, sharing objects with the JSON API", async () => {
    const server = await start();
    const put = await fetch(signUrl(server, "PUT", "x.txt", Date.now()), {
      method: "PUT",
      body: "via xml",
    });
    expect(put.status).toBe(200);
    expect(server.objects.get("b/x.txt")?.toString()).toBe("via xml");
    const get = await fetch(signUrl(server, "GET", "x.txt", Date.now()));
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("via xml");
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 2 });
  });

  it("answers ExpiredToken when the server's clock is past the expiry", async () => {
    const server = await start({ clockOffsetMs: 20 * MIN });
    const response = await fetch(signUrl(server, "GET", "x.txt", Date.now()));
    expect(response.status).toBe(400);
    const error = xml.parse(await response.text()).Error;
    expect(error.Code).toBe("ExpiredToken");
    expect(error.Message).toBe("Invalid argument.");
    expect(error.Details).toMatch(
      /^The provided token has expired\. Request signature expired at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/,
    );
  });

  it("refuses a URL dated 20 minutes ahead of the server", async () => {
    const server = await start({ clockOffsetMs: -20 * MIN });
    const response = await fetch(signUrl(server, "GET", "x.txt", Date.now()));
    expect(response.status).toBe(400);
    expect(xml.parse(await response.text()).Error.Code).toBe("InvalidArgument");
  });

  it("answers SignatureDoesNotMatch with its string-to-sign and canonical request", async () => {
    const server = await start();
    const url = signUrl(server, "GET", "x.txt", Date.now()).replace("/b/x.txt?", "/b/y.txt?");
    const response = await fetch(url);
    expect(response.status).toBe(403);
    const error = xml.parse(await response.text()).Error;
    expect(error.Code).toBe("SignatureDoesNotMatch");
    expect(String(error.CanonicalRequest)).toContain("GET\n/b/y.txt\nX-Goog-Algorithm=");
    expect(String(error.StringToSign)).toMatch(/^GOOG4-RSA-SHA256\n\d{8}T\d{6}Z\n/);
  });

  it("answers MalformedSecurityHeader for a malformed X-Goog-Date", async () => {
    const server = await start();
    const url = signUrl(server, "GET", "x.txt", Date.now()).replace(
      /X-Goog-Date=\d{8}T\d{6}Z/,
      "X-Goog-Date=yesterday",
    );
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(xml.parse(await response.text()).Error.Code).toBe("MalformedSecurityHeader");
  });

  it("refuses unsigned XML requests", async () => {
    const server = await start();
    expect((await fetch(`${server.url}/b/x.txt`)).status).toBe(403);
  });
});

describe("GCS fake: XML API form uploads with V4 POST policies", () => {
  /** A policy spelled out by hand from GCS's documentation, signed with the account's key. */
  function form(expirationMs: number, fields: Record<string, string> = {}, file = "posted") {
    const date = new Date(Math.floor(Date.now() / 1000) * 1000)
      .toISOString()
      .replace(/[-:]|\.\d{3}/g, "");
    const credential = `${account.client_email}/${date.slice(0, 8)}/auto/storage/goog4_request`;
    const signed = {
      key: "f.txt",
      "x-goog-date": date,
      "x-goog-credential": credential,
      "x-goog-algorithm": "GOOG4-RSA-SHA256",
    };
    const policy = Buffer.from(
      JSON.stringify({
        conditions: [{ bucket: "b" }, ...Object.entries(signed).map(([k, v]) => ({ [k]: v }))],
        expiration: new Date(expirationMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
      }),
    ).toString("base64");
    const body = new FormData();
    const all = {
      ...signed,
      policy,
      "x-goog-signature": createSign("RSA-SHA256").update(policy).sign(account.private_key, "hex"),
      ...fields,
    };
    for (const [name, value] of Object.entries(all)) body.append(name, value);
    body.append("file", new Blob([file]), "f.txt");
    return body;
  }

  it("stores the file of a form whose policy verifies (204), on the server's clock", async () => {
    const server = await start({ clockOffsetMs: 30 * MIN });
    const accepted = await fetch(`${server.url}/b`, {
      method: "POST",
      body: form(Date.now() + 40 * MIN),
    });
    expect(accepted.status).toBe(204);
    expect(server.objects.get("b/f.txt")?.toString()).toBe("posted");
    // Ten minutes ahead of the local clock is twenty minutes behind the server's.
    const expired = await fetch(`${server.url}/b/`, {
      method: "POST",
      body: form(Date.now() + 10 * MIN),
    });
    expect(expired.status).toBe(400);
    expect(xml.parse(await expired.text())).toMatchObject({
      Error: { Code: "InvalidPolicyDocument", Details: "Policy expired." },
    });
  });

  it("refuses a bucket field for another bucket, an unnamed field and another key", async () => {
    const server = await start();
    const later = Date.now() + 10 * MIN;
    const statuses = await Promise.all(
      [form(later, { bucket: "other" }), form(later, { "x-goog-meta-a": "1" })].map(
        async (body) => (await fetch(`${server.url}/b`, { method: "POST", body })).status,
      ),
    );
    const other = form(later);
    other.set(
      "x-goog-signature",
      createSign("RSA-SHA256")
        .update(String(other.get("policy")))
        .sign(generateTestPrivateKey(), "hex"),
    );
    const forged = await fetch(`${server.url}/b`, { method: "POST", body: other });
    expect([...statuses, forged.status]).toEqual([400, 400, 403]);
    expect(server.objects.size).toBe(0);
  });
});

describe("GCS fake: clock, counts and lifetime", () => {
  it("stamps every response, errors included, with its own clock", async () => {
    const server = await start({ clockOffsetMs: 20 * MIN });
    for (const response of [
      await fetch(`${server.url}/storage/v1/b/b/o`),
      await fetch(`${server.url}/b/x`),
      await fetch(server.tokenUrl, { method: "POST" }),
    ]) {
      const date = Date.parse(response.headers.get("date") ?? "");
      expect(Math.abs(date - (Date.now() + 20 * MIN))).toBeLessThan(2000);
    }
    expect(server.counts).toEqual({ token: 1, json: 1, xml: 1 });
    server.resetCounts();
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 0 });
    expect(server.clockOffsetMs).toBe(20 * MIN);
  });

  it("stops by itself after idleTimeoutMs without a request, and not before", async () => {
    // Only the idle timer runs on fake time; sockets and node:http keep the real event loop.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const server = await start();
      vi.advanceTimersByTime(59_999);
      expect(await statusOf(`${server.url}/b/x`)).toBe(403);
      // The request re-armed the timer: the first deadline (60 s after start) has passed.
      vi.advanceTimersByTime(59_999);
      expect(await statusOf(`${server.url}/b/x`)).toBe(403);
      vi.advanceTimersByTime(60_000);
      await server.closed;
      await expect(statusOf(`${server.url}/b/x`)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("accepts accounts given as public keys", async () => {
    const { createPublicKey } = await import("node:crypto");
    const server = await start({
      serviceAccounts: [
        {
          client_email: account.client_email,
          public_key_pem: createPublicKey(account.private_key).export({
            type: "spki",
            format: "pem",
          }) as string,
        },
      ],
    });
    expect((await grant(server)).response.status).toBe(200);
  });

  it("points the test account's token_uri at the fake", async () => {
    const server = await start();
    expect(testServiceAccount(server).token_uri).toBe(`${server.url}/token`);
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });
});

describe("GCS fake: faults", () => {
  it("records every grant's iat/exp and status, and refuses all grants on request", async () => {
    const server = await start({ faults: { token: { kind: "refuse-grants" } } });
    const clientNow = Date.now();
    const { response, body } = await grant(server, { clientNow });
    expect(response.status).toBe(400);
    expect(body).toEqual({ error: "invalid_grant", error_description: INVALID_JWT_TIME });
    // Fresh evidence: the server's own clock, whatever the JWT said.
    const date = Date.parse(response.headers.get("date") ?? "");
    expect(Math.abs(date - server.now())).toBeLessThan(2_000);
    server.setFaults({});
    expect((await grant(server, { clientNow })).response.status).toBe(200);
    const iat = Math.floor(clientNow / 1000);
    expect(server.grants).toMatchObject([
      { iat, exp: iat + 3600, status: 400 },
      { iat, exp: iat + 3600, status: 200 },
    ]);
  });

  it.each([
    ["missing", null],
    ["malformed", "not a date"],
  ] as const)("sends Date %s", async (mode, expected) => {
    const server = await start({ faults: { xml: { kind: "date", mode } } });
    const response = await fetch(`${server.url}/b/x`);
    expect(response.headers.get("date")).toBe(expected);
  });

  it("sends two Date headers, a day apart", async () => {
    const server = await start({ faults: { xml: { kind: "date", mode: "duplicated" } } });
    const response = await fetch(`${server.url}/b/x`);
    const dates = (response.headers.get("date") ?? "").split(/, (?=[A-Z][a-z]{2}, )/);
    expect(dates.map((d) => Date.parse(d) - Date.parse(dates[0]!))).toEqual([0, 86_400_000]);
  });

  it("pads error answers to the size asked for, keeping JSON valid; successes unchanged", async () => {
    const bytes = 1024 * 1024;
    const server = await start({
      faults: { token: { kind: "huge-body", bytes }, xml: { kind: "huge-body", bytes } },
    });
    const refused = await grant(server, { clientNow: Date.now() + 60 * MIN });
    expect(refused.response.status).toBe(400);
    expect(refused.body["error_description"]).toBe(INVALID_JWT_TIME);
    expect(String(refused.body["padding"]).length).toBeGreaterThan(bytes - 200);
    const denied = await fetch(`${server.url}/b/x`);
    expect((await denied.arrayBuffer()).byteLength).toBe(bytes);
    expect((await grant(server)).response.status).toBe(200);
  });

  it("cuts bodies in half with a matching Content-Length", async () => {
    const server = await start();
    const whole = await (await fetch(`${server.url}/b/x`)).text();
    server.setFaults({ xml: { kind: "truncated-body" } });
    const cut = await fetch(`${server.url}/b/x`);
    const text = await cut.text();
    expect(cut.headers.get("content-length")).toBe(String(text.length));
    expect(whole.startsWith(text)).toBe(true);
    expect(text.length).toBe(whole.length >> 1);
  });

  it("resets the connection after the headers", async () => {
    const server = await start({ faults: { xml: { kind: "reset-after-headers" } } });
    const response = await fetch(`${server.url}/b/x`);
    expect(response.status).toBe(403);
    await expect(response.text()).rejects.toThrow();
  });

  it("stalls until the client gives up; the stalled request is counted", async () => {
    const server = await start({ faults: { xml: { kind: "stall" } } });
    const controller = new AbortController();
    const answer = fetch(`${server.url}/b/x`, { signal: controller.signal });
    // Counted on arrival and never answered: only the client's abort ends the request.
    while (server.counts.xml === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(answer).rejects.toThrow(/abort/i);
    expect(server.counts.xml).toBe(1);
  });
});
