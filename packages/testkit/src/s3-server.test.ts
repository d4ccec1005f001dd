import { request as httpRequest } from "node:http";
import { XMLParser } from "fast-xml-parser";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeAwsChunked } from "./aws-chunked.js";
import { checksumBase64 } from "./checksums.js";
import { type S3TestServer, type S3TestServerOptions, startS3TestServer } from "./s3-server.js";
import { httpDate, isoSeconds } from "./server-clock.js";
import {
  EMPTY_SHA256,
  type RawHeader,
  authorizationHeader,
  canonicalRequest,
  credentialScopeString,
  formatAmzDate,
  sha256Hex,
  signature,
  signedHeaderNames,
  signingKey,
  spacedHexBytes,
  stringToSign,
} from "./sigv4.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MINUTE = 60_000;
const xml = new XMLParser({ parseTagValue: false, trimValues: false });

let servers: S3TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const server = await startS3TestServer(options);
  servers.push(server);
  return server;
}

interface RawResponse {
  status: number;
  rawHeaders: string[];
  header(name: string): string | undefined;
  body: string;
}

function send(
  server: S3TestServer,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: server.host, port: server.port, method, path: target, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            rawHeaders: res.rawHeaders,
            header: (name) => {
              const value = res.headers[name.toLowerCase()];
              return Array.isArray(value) ? value.join(", ") : value;
            },
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

interface SignedOptions {
  method?: string;
  path: string;
  query?: string;
  body?: Buffer | string;
  payloadHash?: string;
  headers?: Record<string, string>;
  clientNow?: number;
  secret?: string;
  accessKeyId?: string;
  region?: string;
}

/** A SigV4 client built from this package's signing functions (checked against AWS's suite). */
async function signed(server: S3TestServer, options: SignedOptions) {
  const method = options.method ?? "GET";
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const amzDate = formatAmzDate(options.clientNow ?? Date.now());
  const payloadHash = options.payloadHash ?? sha256Hex(body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {
    host: `${server.host}:${server.port}`,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": payloadHash,
    ...options.headers,
  };
  const pairs: RawHeader[] = Object.entries(headers);
  const signedHeaders = signedHeaderNames(pairs);
  const scopeParts = {
    date: amzDate.slice(0, 8),
    region: options.region ?? "us-east-1",
    service: "s3",
  };
  const scope = credentialScopeString(scopeParts);
  const creq = canonicalRequest({
    method,
    path: options.path,
    query: options.query ?? "",
    headers: pairs,
    signedHeaders,
    payloadHash,
  });
  const sts = stringToSign(amzDate, scope, creq);
  const key = signingKey(options.secret ?? SECRET, scopeParts);
  const sig = signature(key, sts);
  headers["authorization"] = authorizationHeader(
    options.accessKeyId ?? "AKIDEXAMPLE",
    scope,
    signedHeaders,
    sig,
  );
  const target = options.query ? `${options.path}?${options.query}` : options.path;
  const response = await send(server, method, target, headers, body);
  return { ...response, sent: { amzDate, creq, sts, sig, key, scope } };
}

/** A presigned GET URL built with this package's signing functions. */
function presign(server: S3TestServer, signedAt: number, expires: number, path = "/b/k") {
  const amzDate = formatAmzDate(signedAt);
  const scopeParts = { date: amzDate.slice(0, 8), region: "us-east-1", service: "s3" };
  const scope = credentialScopeString(scopeParts);
  const query =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    `&X-Amz-Credential=${encodeURIComponent(`AKIDEXAMPLE/${scope}`)}` +
    `&X-Amz-Date=${amzDate}&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=host`;
  const creq = canonicalRequest({
    method: "GET",
    path,
    query,
    headers: [["host", `${server.host}:${server.port}`]],
    signedHeaders: ["host"],
    payloadHash: "UNSIGNED-PAYLOAD",
  });
  const sig = signature(signingKey(SECRET, scopeParts), stringToSign(amzDate, scope, creq));
  return `${server.url}${path}?${query}&X-Amz-Signature=${sig}`;
}

function errorOf(body: string): Record<string, string> {
  return (xml.parse(body) as { Error: Record<string, string> }).Error;
}

describe("responses", () => {
  it("carry the server clock in Date, whole seconds, and a request id", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE });
    const response = await signed(server, {
      method: "PUT",
      path: "/b/k",
      body: "x",
      clientNow: Date.now() + 20 * MINUTE,
    });
    expect(response.status).toBe(200);
    const date = response.header("date") ?? "";
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Math.abs(Date.parse(date) - (Date.now() + 20 * MINUTE))).toBeLessThan(2000);
    expect(response.header("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
  });

  it("lets tests move the clock while running", async () => {
    const server = await start();
    server.setClockOffset(-2 * 3_600_000);
    // Read between two readings of the real clock: exact, however slow the machine.
    const before = Date.now();
    const serverNow = server.now();
    const after = Date.now();
    expect(serverNow).toBeGreaterThanOrEqual(before - 2 * 3_600_000);
    expect(serverNow).toBeLessThanOrEqual(after - 2 * 3_600_000);
    const response = await signed(server, { path: "/b/k" });
    expect(errorOf(response.body).Code).toBe("RequestTimeTooSkewed");
  });
});

describe("stale header-signed requests", () => {
  it("answer RequestTimeTooSkewed with the request time as sent and the server time", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE });
    const response = await signed(server, { path: "/b/k" });
    expect(response.status).toBe(403);
    const error = errorOf(response.body);
    expect(Object.keys(error)).toEqual([
      "Code",
      "Message",
      "RequestTime",
      "ServerTime",
      "MaxAllowedSkewMilliseconds",
      "RequestId",
      "HostId",
    ]);
    expect(error.Code).toBe("RequestTimeTooSkewed");
    expect(error.Message).toBe(
      "The difference between the request time and the current time is too large.",
    );
    expect(error.RequestTime).toBe(response.sent.amzDate);
    expect(error.ServerTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(error.ServerTime ?? "") - server.now())).toBeLessThan(2000);
    expect(error.MaxAllowedSkewMilliseconds).toBe("900000");
    expect(error.RequestId).toBe(response.header("x-amz-request-id"));
  });

  it("answer SignatureDoesNotMatch with the client's own string to sign in that style", async () => {
    const server = await start({
      clockOffsetMs: -20 * MINUTE,
      errorStyle: "SignatureDoesNotMatch",
    });
    const response = await signed(server, { path: "/b/some%20key", query: "x-id=GetObject" });
    const error = errorOf(response.body);
    expect(response.status).toBe(403);
    expect(error.Code).toBe("SignatureDoesNotMatch");
    expect(error.AWSAccessKeyId).toBe("AKIDEXAMPLE");
    expect(error.StringToSign).toBe(response.sent.sts);
    expect(error.CanonicalRequest).toBe(response.sent.creq);
    expect(error.SignatureProvided).toBe(response.sent.sig);
    expect(error.StringToSignBytes).toBe(spacedHexBytes(response.sent.sts));
    expect(error.CanonicalRequestBytes).toBe(spacedHexBytes(response.sent.creq));
  });

  it("respect a configured window in both directions", async () => {
    const server = await start({ clockOffsetMs: -3 * MINUTE, allowedSkewMs: 2 * MINUTE });
    expect((await signed(server, { path: "/b/k" })).status).toBe(403);
    server.setClockOffset(MINUTE);
    expect((await signed(server, { path: "/b/k" })).status).toBe(404);
    server.setClockOffset(3 * MINUTE);
    expect((await signed(server, { path: "/b/k" })).status).toBe(403);
  });

  it("on HEAD, answer with the status and headers only", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE });
    const response = await signed(server, { method: "HEAD", path: "/b/k" });
    expect(response.status).toBe(403);
    expect(response.body).toBe("");
    expect(response.header("x-amz-request-id")).toBeDefined();
    expect(response.header("date")).toBeDefined();
  });
});

describe("signatures", () => {
  it("refuse a wrong secret with the server's canonical request", async () => {
    const server = await start();
    const response = await signed(server, { path: "/b/k", secret: "not the secret" });
    const error = errorOf(response.body);
    expect(error.Code).toBe("SignatureDoesNotMatch");
    // Same request, same time: both sides built the same string to sign, only keys differ.
    expect(error.StringToSign).toBe(response.sent.sts);
    expect(error.SignatureProvided).toBe(response.sent.sig);
  });

  it("refuse unknown key ids, foreign regions and anonymous callers like S3", async () => {
    const server = await start();
    const unknown = errorOf(
      (await signed(server, { path: "/b/k", accessKeyId: "AKIDOTHER" })).body,
    );
    expect(unknown).toMatchObject({ Code: "InvalidAccessKeyId", AWSAccessKeyId: "AKIDOTHER" });
    const region = await signed(server, { path: "/b/k", region: "eu-west-1" });
    expect(region.status).toBe(400);
    expect(errorOf(region.body)).toMatchObject({
      Code: "AuthorizationHeaderMalformed",
      Region: "us-east-1",
    });
    const anonymous = await send(server, "GET", "/b/k", {});
    expect(anonymous.status).toBe(403);
    expect(errorOf(anonymous.body)).toMatchObject({
      Code: "AccessDenied",
      Message: "Access Denied",
    });
  });

  it("check a signed payload against its x-amz-content-sha256", async () => {
    const server = await start();
    const response = await signed(server, {
      method: "PUT",
      path: "/b/k",
      body: "what was sent",
      payloadHash: sha256Hex("what was signed"),
    });
    expect(response.status).toBe(400);
    expect(errorOf(response.body)).toMatchObject({
      Code: "XAmzContentSHA256Mismatch",
      ClientComputedContentSHA256: sha256Hex("what was signed"),
      S3ComputedContentSHA256: sha256Hex("what was sent"),
    });
    expect(server.objects.has("b/k")).toBe(false);
  });

  it("check flexible checksum headers (BadDigest)", async () => {
    const server = await start();
    const ok = await signed(server, {
      method: "PUT",
      path: "/b/k",
      body: "hello world",
      headers: { "x-amz-checksum-crc32": "DUoRhQ==" },
    });
    expect(ok.status).toBe(200);
    expect(ok.header("x-amz-checksum-crc32")).toBe("DUoRhQ==");
    const bad = await signed(server, {
      method: "PUT",
      path: "/b/k2",
      body: "hello world",
      headers: { "x-amz-checksum-crc32": "AAAAAA==" },
    });
    expect(errorOf(bad.body)).toMatchObject({
      Code: "BadDigest",
      Message: "The CRC32 you specified did not match the calculated checksum.",
    });
    expect(server.objects.has("b/k2")).toBe(false);
  });
});

describe("aws-chunked uploads", () => {
  const payload = Buffer.alloc(200_000, 7);

  async function chunkedPut(
    server: S3TestServer,
    mode: "signed" | "signed-trailer",
    tamper?: (body: Buffer) => void,
  ) {
    const contentSha256 =
      mode === "signed"
        ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    const headers: Record<string, string> = {
      host: `${server.host}:${server.port}`,
      "x-amz-date": formatAmzDate(Date.now()),
      "x-amz-content-sha256": contentSha256,
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(payload.length),
      ...(mode === "signed-trailer" ? { "x-amz-trailer": "x-amz-checksum-crc32c" } : {}),
    };
    const amzDate = headers["x-amz-date"] as string;
    const pairs = Object.entries(headers);
    const signedHeaders = signedHeaderNames(pairs);
    const scopeParts = { date: amzDate.slice(0, 8), region: "us-east-1", service: "s3" };
    const scope = credentialScopeString(scopeParts);
    const key = signingKey(SECRET, scopeParts);
    const creq = canonicalRequest({
      method: "PUT",
      path: "/b/stream",
      query: "",
      headers: pairs,
      signedHeaders,
      payloadHash: contentSha256,
    });
    const seed = signature(key, stringToSign(amzDate, scope, creq));
    const body = encodeAwsChunked(payload, {
      mode,
      chunkSize: 64 * 1024,
      signing: { amzDate, scope, key, seedSignature: seed },
      trailers: [["x-amz-checksum-crc32c", checksumBase64("crc32c", payload)]],
    });
    tamper?.(body);
    headers["authorization"] = authorizationHeader("AKIDEXAMPLE", scope, signedHeaders, seed);
    return send(server, "PUT", "/b/stream", headers, body);
  }

  it("store the decoded bytes of a signed-chunk upload", async () => {
    const server = await start();
    const response = await chunkedPut(server, "signed");
    expect(response.status).toBe(200);
    expect(server.objects.get("b/stream")?.equals(payload)).toBe(true);
  });

  it("store the decoded bytes of a signed-chunk upload with a signed checksum trailer", async () => {
    const server = await start();
    expect((await chunkedPut(server, "signed-trailer")).status).toBe(200);
    expect(server.objects.get("b/stream")?.equals(payload)).toBe(true);
  });

  it("refuse a chunk changed in transit and store nothing", async () => {
    const server = await start();
    const response = await chunkedPut(server, "signed", (body) => {
      body[70_000] = 8;
    });
    expect(response.status).toBe(403);
    const error = errorOf(response.body);
    expect(error.Code).toBe("SignatureDoesNotMatch");
    expect(error.StringToSign?.startsWith("AWS4-HMAC-SHA256-PAYLOAD\n")).toBe(true);
    expect(server.objects.has("b/stream")).toBe(false);
  });
});

describe("presigned URLs", () => {
  it("work within X-Amz-Date + X-Amz-Expires on the server clock", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/k", Buffer.from("presigned body"));
    const response = await fetch(presign(server, Date.now(), 3600));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("presigned body");
  });

  it("expire as S3 says, with the expiry and the server time", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE });
    const signedAt = Date.now();
    const response = await fetch(presign(server, signedAt, 900));
    expect(response.status).toBe(403);
    const error = errorOf(await response.text());
    expect(error).toMatchObject({
      Code: "AccessDenied",
      Message: "Request has expired",
      "X-Amz-Expires": "900",
      Expires: isoSeconds(signedAt + 900_000),
    });
    expect(Math.abs(Date.parse(error.ServerTime ?? "") - server.now())).toBeLessThan(2000);
  });

  it("are not yet valid when signed beyond the window ahead of the server", async () => {
    const server = await start({ clockOffsetMs: -20 * MINUTE });
    const signedAt = Date.now();
    const response = await fetch(presign(server, signedAt, 900));
    const error = errorOf(await response.text());
    expect(response.status).toBe(403);
    expect(error).toMatchObject({ Code: "AccessDenied", Message: "Request is not yet valid" });
    // S3's quirk: this one X-Amz-Date is epoch milliseconds.
    expect(error["X-Amz-Date"]).toBe(String(Math.floor(signedAt / 1000) * 1000));
  });

  it("refuse an expiry beyond a week", async () => {
    const server = await start();
    const response = await fetch(presign(server, Date.now(), 604_801));
    expect(response.status).toBe(400);
    expect(errorOf(await response.text()).Code).toBe("AuthorizationQueryParametersError");
  });
});

describe("Date header fault modes", () => {
  async function dateOf(options: S3TestServerOptions, path = "/b/k", method = "PUT") {
    const server = await start(options);
    server.objects.set("b/exists", Buffer.from("x"));
    const response = await signed(server, {
      method,
      path,
      ...(method === "PUT" ? { body: "x" } : {}),
    });
    return { response, server };
  }

  it("missing: no Date at all", async () => {
    const { response } = await dateOf({ dateHeader: "missing" });
    expect(response.status).toBe(200);
    expect(response.rawHeaders.map((name) => name.toLowerCase())).not.toContain("date");
  });

  it("malformed: a Date no parser accepts", async () => {
    const { response } = await dateOf({ dateHeader: "malformed" });
    expect(response.header("date")).toBe("not a date");
  });

  it("far-future: 2099 on every response", async () => {
    const { response } = await dateOf({ dateHeader: "far-future" });
    expect(response.header("date")).toMatch(/ 2099 /);
  });

  it("far-future-on-errors: 2099 on errors only", async () => {
    const server = await start({ dateHeader: "far-future-on-errors" });
    const ok = await signed(server, { method: "PUT", path: "/b/k", body: "x" });
    const missing = await signed(server, { path: "/b/nothing" });
    expect(ok.header("date")).toBe(httpDate(Date.parse(ok.header("date") ?? "")));
    expect(Date.parse(ok.header("date") ?? "")).toBeGreaterThan(Date.now() - 5000);
    expect(missing.status).toBe(404);
    expect(missing.header("date")).toMatch(/ 2099 /);
  });

  it("with-age: Age plus a Date that old", async () => {
    const { response, server } = await dateOf({ dateHeader: "with-age", ageSeconds: 100 });
    expect(response.header("age")).toBe("100");
    const lag = server.now() - Date.parse(response.header("date") ?? "");
    expect(lag).toBeGreaterThanOrEqual(99_000);
    expect(lag).toBeLessThan(102_000);
  });

  it("duplicated: two different Date headers", async () => {
    const { response } = await dateOf({ dateHeader: "duplicated" });
    const dates = response.rawHeaders.filter(
      (_, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === "date",
    );
    expect(dates).toHaveLength(2);
    expect(dates[0]).not.toBe(dates[1]);
  });

  it("can change at runtime", async () => {
    const server = await start();
    server.setDateHeader("malformed");
    expect((await signed(server, { path: "/b/k" })).header("date")).toBe("not a date");
  });
});

describe("policy and existence", () => {
  it("deny keys under a denied prefix whatever the signature says", async () => {
    const server = await start();
    const response = await signed(server, {
      method: "PUT",
      path: "/b/denied/secret.txt",
      body: "x",
    });
    expect(response.status).toBe(403);
    expect(errorOf(response.body)).toMatchObject({
      Code: "AccessDenied",
      Message: "Access Denied",
    });
  });

  it("answer NoSuchKey, and NoSuchBucket only when asked to be strict", async () => {
    const loose = await start();
    expect(errorOf((await signed(loose, { path: "/nobucket/k" })).body)).toMatchObject({
      Code: "NoSuchKey",
      Key: "k",
    });
    const strict = await start({ strictBuckets: true });
    expect(errorOf((await signed(strict, { path: "/nobucket/k" })).body).Code).toBe("NoSuchBucket");
  });
});

describe("flavor gcs", () => {
  it("answers with x-goog headers and no S3 request id", async () => {
    const server = await start({ flavor: "gcs" });
    const put = await signed(server, { method: "PUT", path: "/b/k", body: "gcs body" });
    expect(put.status).toBe(200);
    expect(put.header("x-guploader-uploadid")).toBeDefined();
    expect(put.header("x-amz-request-id")).toBeUndefined();
    const get = await signed(server, { path: "/b/k" });
    expect(get.body).toBe("gcs body");
    expect(get.header("x-goog-generation")).toMatch(/^\d+$/);
    expect(get.header("x-goog-stored-content-length")).toBe("8");
    expect(get.header("x-goog-hash")).toContain(
      `crc32c=${checksumBase64("crc32c", Buffer.from("gcs body"))}`,
    );
  });

  it("shapes SignatureDoesNotMatch like GCS, with Details and no RequestId", async () => {
    const server = await start({ flavor: "gcs" });
    const response = await signed(server, { path: "/b/k", secret: "wrong" });
    expect(response.body.startsWith("<?xml version='1.0' encoding='UTF-8'?><Error>")).toBe(true);
    const error = errorOf(response.body);
    expect(Object.keys(error)).toEqual([
      "Code",
      "Message",
      "Details",
      "StringToSign",
      "CanonicalRequest",
    ]);
    expect(error).toMatchObject({
      Code: "SignatureDoesNotMatch",
      Message: "Access denied.",
      StringToSign: response.sent.sts,
    });
  });

  it("refuses a stale request with no evidence in the body, and expired URLs with ExpiredToken", async () => {
    const server = await start({ flavor: "gcs", clockOffsetMs: 20 * MINUTE });
    const stale = await signed(server, { path: "/b/k" });
    expect(stale.status).toBe(403);
    expect(Object.keys(errorOf(stale.body))).toEqual(["Code", "Message"]);
    expect(Date.parse(stale.header("date") ?? "")).toBeGreaterThan(Date.now() + 19 * MINUTE);

    const signedAt = Date.now();
    const expired = await fetch(presign(server, signedAt, 900));
    expect(expired.status).toBe(400);
    expect(errorOf(await expired.text())).toEqual({
      Code: "ExpiredToken",
      Message: "Invalid argument.",
      Details: `The provided token has expired. Request signature expired at: ${isoSeconds(signedAt + 900_000).replace("Z", "+00:00")}`,
    });
  });
});

describe("errorBody minimal", () => {
  it("keeps only the code, message and ids", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE, errorBody: "minimal" });
    const error = errorOf((await signed(server, { path: "/b/k" })).body);
    expect(Object.keys(error)).toEqual(["Code", "Message", "RequestId", "HostId"]);
  });
});

describe("errorBody code-only", () => {
  it("answers RequestTimeTooSkewed with nothing but Code, Message and Date: no ids, no times", async () => {
    const server = await start({ clockOffsetMs: 20 * MINUTE, errorBody: "code-only" });
    const response = await signed(server, { path: "/b/k" });
    expect(response.status).toBe(403);
    expect(Object.keys(errorOf(response.body))).toEqual(["Code", "Message"]);
    expect(errorOf(response.body)["Code"]).toBe("RequestTimeTooSkewed");
    expect(response.header("x-amz-request-id")).toBeUndefined();
    expect(response.header("x-amz-id-2")).toBeUndefined();
    expect(response.header("date")).toBe(httpDate(server.now()));
  });
});

describe("earlyRefusal", () => {
  /** A PUT whose headers are signed `aheadMs` off, its body still being sent when refused. */
  function slowPut(server: S3TestServer, aheadMs: number) {
    const amzDate = formatAmzDate(Date.now() + aheadMs);
    const headers: Record<string, string> = {
      host: `${server.host}:${server.port}`,
      "x-amz-date": amzDate,
      "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      "content-length": String(4 * 1024 * 1024),
    };
    const pairs: RawHeader[] = Object.entries(headers);
    const signedHeaders = signedHeaderNames(pairs);
    const scopeParts = { date: amzDate.slice(0, 8), region: "us-east-1", service: "s3" };
    const scope = credentialScopeString(scopeParts);
    const creq = canonicalRequest({
      method: "PUT",
      path: "/b/slow",
      query: "",
      headers: pairs,
      signedHeaders,
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    const sig = signature(signingKey(SECRET, scopeParts), stringToSign(amzDate, scope, creq));
    headers["authorization"] = authorizationHeader("AKIDEXAMPLE", scope, signedHeaders, sig);
    return new Promise<{ status: number; closedBeforeBodyEnded: boolean }>((resolve, reject) => {
      let status = 0;
      let ended = false;
      const req = httpRequest(
        {
          host: server.host,
          port: server.port,
          method: "PUT",
          path: "/b/slow",
          headers,
          agent: false,
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.resume();
        },
      );
      req.on("error", () => undefined); // the reset of a closed socket, expected
      req.on("close", () => resolve({ status, closedBeforeBodyEnded: !ended }));
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => {
        if (req.destroyed) return;
        ended = true;
        req.destroy();
        reject(new Error("the connection was still open after 2 s"));
      }, 2_000).unref();
    });
  }

  it("refuses a skewed request before its body is in and closes the connection under it", async () => {
    const server = await start({ earlyRefusal: true });
    expect(await slowPut(server, 20 * MINUTE)).toEqual({
      status: 403,
      closedBeforeBodyEnded: true,
    });
    expect(server.log.at(-1)).toMatchObject({ code: "RequestTimeTooSkewed", connection: 1 });
    expect(server.objects.has("b/slow")).toBe(false);
  });

  it("numbers the connections requests come on", async () => {
    const server = await start();
    await signed(server, { path: "/b/a" });
    await signed(server, { path: "/b/a" });
    expect(server.log.map((entry) => entry.connection)).toEqual([1, 2]);
  });
});

describe("lifecycle and counting", () => {
  it("counts attempts on arrival and filters the log", async () => {
    const server = await start();
    await signed(server, { method: "PUT", path: "/b/a", body: "1" });
    await signed(server, { path: "/b/a" });
    await signed(server, { path: "/b/a", secret: "wrong" });
    expect(server.attempts).toBe(3);
    expect(server.attemptsBy({ method: "GET", key: "a" })).toBe(2);
    expect(server.attemptsBy({ key: "b/a", operation: "PutObject" })).toBe(1);
    expect(server.log.map((entry) => entry.code ?? entry.status)).toEqual([
      200,
      200,
      "SignatureDoesNotMatch",
    ]);
    expect(server.log[0]?.contentSha256).toBe(sha256Hex("1"));
    server.resetCounts();
    expect(server.attempts).toBe(0);
    expect(server.log).toEqual([]);
    expect(server.objects.get("b/a")?.toString()).toBe("1");
  });

  it("stops by itself after idleTimeoutMs without a request, and not before", async () => {
    // Only the idle timer runs on fake time; sockets and node:http keep the real event loop.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const server = await start();
      vi.advanceTimersByTime(59_999);
      expect((await signed(server, { path: "/b/k" })).status).toBe(404);
      // The request re-armed the timer: the first deadline (60 s after start) has passed.
      vi.advanceTimersByTime(59_999);
      expect((await signed(server, { path: "/b/k" })).status).toBe(404);
      vi.advanceTimersByTime(60_000);
      await server.closed;
      await expect(send(server, "GET", "/b/k", {})).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("closes with keep-alive connections open, and close is idempotent", async () => {
    const server = await start();
    const response = await fetch(`${server.url}/b/k`);
    expect(response.status).toBe(403);
    await Promise.all([server.close(), server.close()]);
    await server.closed;
    await expect(fetch(`${server.url}/b/k`)).rejects.toThrow();
  });

  it("requires x-amz-content-sha256 on header-signed requests, as S3 does", async () => {
    const server = await start();
    const headers: Record<string, string> = {
      host: `${server.host}:${server.port}`,
      "x-amz-date": formatAmzDate(Date.now()),
    };
    headers["authorization"] = authorizationHeader(
      "AKIDEXAMPLE",
      `${headers["x-amz-date"]?.slice(0, 8)}/us-east-1/s3/aws4_request`,
      ["host", "x-amz-date"],
      EMPTY_SHA256,
    );
    const response = await send(server, "GET", "/b/k", headers);
    expect(errorOf(response.body)).toMatchObject({
      Code: "InvalidRequest",
      Message: "Missing required header for this request: x-amz-content-sha256",
    });
  });
});
