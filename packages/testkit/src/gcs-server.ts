import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import {
  type GcsEndpoint,
  type GcsFault,
  type GcsFaults,
  type GcsReply,
  writeReply,
} from "./gcs-faults.js";
import type { AddressInfo } from "node:net";
import {
  etagOf,
  GcsObjectStore,
  type GcsStoredObject,
  googHash,
  objectResource,
} from "./gcs-object-store.js";
import { type GcsTestAccount, publicKeysOf, testServiceAccount } from "./gcs-service-account.js";
import { startIdleTimer } from "./idle-timer.js";
import {
  checkJwtGrant,
  checkSelfSignedJwt,
  GOOGLE_TOKEN_AUDIENCES,
  INVALID_JWT_TIME,
  jwtTimesOf,
  TOKEN_IAT_ALLOWANCE_MS,
} from "./gcs-token-grant.js";
import {
  GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS,
  type GcsXmlError,
  hasV4QuerySignature,
  verifyV4SignedUrl,
} from "./gcs-v4-verifier.js";

export interface GcsTestServerOptions {
  /**
   * The server's clock minus the real one: `+1_200_000` makes the server 20 minutes ahead.
   * @default 0
   */
  clockOffsetMs?: number;
  /**
   * Accounts whose JWTs and signed URLs verify.
   * @default the conformance test account (see `testServiceAccount`)
   */
  serviceAccounts?: readonly GcsTestAccount[];
  /**
   * The server stops once no request has been in flight for this long; `0` never (the same
   * for every testkit server). The timer never holds the process.
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * How far a grant JWT's `iat` may be from the server's clock, either way.
   * @default TOKEN_IAT_ALLOWANCE_MS (5 minutes)
   */
  tokenAllowanceMs?: number;
  /**
   * How far a signed URL's `X-Goog-Date` may be ahead of the server's clock.
   * @default GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS (15 minutes)
   */
  signedUrlFutureAllowanceMs?: number;
  /**
   * Lifetime of issued access tokens, seconds.
   * @default 3599
   */
  tokenLifetimeSeconds?: number;
  /**
   * What each endpoint does wrong (fault suites); change it later with `setFaults`.
   * @default {} (every endpoint behaves)
   */
  faults?: GcsFaults;
}

/** One grant request the token endpoint received: what the JWT claimed and what it got. */
export interface GcsGrantRecord {
  /** The real clock (the client's, on loopback) when the request arrived, ms. */
  receivedAtMs: number;
  /** The server's clock then, ms. */
  serverNowMs: number;
  /** The JWT's `iat` and `exp` claims, seconds, when it had readable ones. */
  iat?: number;
  exp?: number;
  status: number;
}

/** Requests seen, by endpoint. */
export interface GcsRequestCounts {
  /** `POST /token` grant requests, accepted or not. */
  token: number;
  /** JSON API requests (`/storage/v1`, `/upload/storage/v1`, `/download/storage/v1`). */
  json: number;
  /** XML API requests (`/bucket/object`, signed URLs). */
  xml: number;
}

export interface GcsTestServer {
  /** `http://127.0.0.1:<port>`: the `apiEndpoint` for `new Storage(...)`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>/token`. */
  readonly tokenUrl: string;
  readonly counts: GcsRequestCounts;
  /** Stored objects by `bucket/name`, shared by both APIs. */
  readonly objects: Map<string, Buffer>;
  readonly clockOffsetMs: number;
  /** Every grant request, in order (cleared by `resetCounts`). */
  readonly grants: GcsGrantRecord[];
  /** The server's current time, milliseconds since the epoch. */
  now(): number;
  setClockOffset(ms: number): void;
  /** Replaces the faults of every endpoint; `{}` makes them all behave again. */
  setFaults(faults: GcsFaults): void;
  resetCounts(): void;
  /** Forgets every issued access token (clients must grant again). */
  revokeTokens(): void;
  close(): Promise<void>;
  /** Resolves once the server has stopped, by `close()` or by idling out. */
  readonly closed: Promise<void>;
}

interface UploadSession {
  bucket: string;
  name: string;
  contentType: string;
  chunks: Buffer[];
  received: number;
}

interface Context {
  store: GcsObjectStore;
  tokens: Map<string, number>;
  sessions: Map<string, UploadSession>;
  grants: GcsGrantRecord[];
  faults: GcsFaults;
  options: Required<Omit<GcsTestServerOptions, "clockOffsetMs" | "serviceAccounts" | "faults">>;
  publicKeys: ReturnType<typeof publicKeysOf>;
  baseUrl: string;
  now: () => number;
  /** The real clock, captured when the server started. */
  realNow: () => number;
}

/** What a route answers; written out in one place (`writeReply`), with the `Date` header. */
type Reply = GcsReply;

interface Incoming {
  method: string;
  url: URL;
  target: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Starts a GCS fake on 127.0.0.1 with its own clock; see `GcsTestServerOptions`. */
export async function startGcsTestServer(
  options: GcsTestServerOptions = {},
): Promise<GcsTestServer> {
  let clockOffsetMs = options.clockOffsetMs ?? 0;
  // The real clock as it is now: a test that shifts this process's Date afterwards (a client
  // whose clock reads 1970) leaves the server's clock where it was.
  const realNow = Date.now;
  const accounts = options.serviceAccounts ?? [testServiceAccount()];
  const counts: GcsRequestCounts = { token: 0, json: 0, xml: 0 };
  const store = new GcsObjectStore();
  const context: Context = {
    store,
    tokens: new Map(),
    sessions: new Map(),
    grants: [],
    faults: { ...options.faults },
    options: {
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      tokenAllowanceMs: options.tokenAllowanceMs ?? TOKEN_IAT_ALLOWANCE_MS,
      signedUrlFutureAllowanceMs:
        options.signedUrlFutureAllowanceMs ?? GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    },
    publicKeys: publicKeysOf(accounts),
    baseUrl: "",
    now: () => realNow() + clockOffsetMs,
    realNow,
  };

  let closing: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    const done = idle.enter();
    const endpoint = endpointOf(req.url ?? "/");
    counts[endpoint]++;
    const fault = context.faults[endpoint];
    respond(context, endpoint, fault, req)
      .catch((error: unknown) => jsonError(500, String(error), "backendError"))
      // Every answer tells the client what time the server thinks it is (unless faulted).
      .then((reply) => writeReply(req, res, reply, context.now(), fault))
      .catch(() => res.destroy())
      .finally(done);
  });
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      idle.stop();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  // The server's own "close" event: after close(), whoever called it, and its connections ended.
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  const idle = startIdleTimer(context.options.idleTimeoutMs, () => void close());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  context.baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: context.baseUrl,
    tokenUrl: `${context.baseUrl}/token`,
    counts,
    objects: store.objects,
    get clockOffsetMs() {
      return clockOffsetMs;
    },
    grants: context.grants,
    now: context.now,
    setClockOffset(ms: number) {
      clockOffsetMs = ms;
    },
    setFaults(faults: GcsFaults) {
      context.faults = { ...faults };
    },
    resetCounts() {
      counts.token = 0;
      counts.json = 0;
      counts.xml = 0;
      context.grants.length = 0;
    },
    revokeTokens() {
      context.tokens.clear();
    },
    close,
    closed,
  };
}

function endpointOf(target: string): GcsEndpoint {
  const path = new URL(target, "http://fake").pathname;
  if (path === "/token") return "token";
  return /^\/(upload\/|download\/)?storage\/v1\//.test(path) ? "json" : "xml";
}

async function respond(
  context: Context,
  endpoint: GcsEndpoint,
  fault: GcsFault | undefined,
  req: IncomingMessage,
): Promise<Reply> {
  const target = req.url ?? "/";
  const incoming: Incoming = {
    method: req.method ?? "GET",
    url: new URL(target, context.baseUrl),
    target,
    headers: req.headers,
    body: await readBody(req),
  };
  if (endpoint === "token") {
    const reply = tokenEndpoint(context, incoming, fault?.kind === "refuse-grants");
    recordGrant(context, incoming, reply.status);
    return reply;
  }
  return endpoint === "json" ? jsonApi(context, incoming) : xmlApi(context, incoming);
}

// ---------------------------------------------------------------- OAuth token endpoint

function tokenEndpoint(context: Context, incoming: Incoming, refuseAll: boolean): Reply {
  if (incoming.method !== "POST") {
    return json(405, { error: "invalid_request", error_description: "POST only" });
  }
  if (refuseAll) return json(400, { error: "invalid_grant", error_description: INVALID_JWT_TIME });
  const verdict = checkJwtGrant(new URLSearchParams(incoming.body.toString("utf8")), {
    now: context.now(),
    publicKeys: context.publicKeys,
    audiences: [...GOOGLE_TOKEN_AUDIENCES, `${context.baseUrl}/token`],
    allowanceMs: context.options.tokenAllowanceMs,
  });
  if (!verdict.ok) return json(verdict.status, verdict.body);
  const token = `ya29.fake-${randomBytes(24).toString("base64url")}`;
  const lifetime = context.options.tokenLifetimeSeconds;
  context.tokens.set(token, context.now() + lifetime * 1000);
  return json(200, { access_token: token, expires_in: lifetime, token_type: "Bearer" });
}

function recordGrant(context: Context, incoming: Incoming, status: number): void {
  const form = new URLSearchParams(incoming.body.toString("utf8"));
  context.grants.push({
    receivedAtMs: context.realNow(),
    serverNowMs: context.now(),
    ...jwtTimesOf(form.get("assertion") ?? ""),
    status,
  });
}

// ---------------------------------------------------------------- JSON API

function jsonApi(context: Context, incoming: Incoming): Reply {
  const { url, method } = incoming;
  const uploadId = url.searchParams.get("upload_id");
  // A resumable session URI is its own credential, as on GCS: no bearer token on its PUTs.
  if (uploadId !== null) return resumeUpload(context, incoming, uploadId);
  if (!authorized(context, incoming.headers.authorization)) return unauthorized();

  const route = /^\/(?:upload\/|download\/)?storage\/v1\/b\/([^/]+)(\/o(?:\/(.+))?)?$/.exec(
    url.pathname,
  );
  if (!route) return jsonError(404, "Not Found", "notFound");
  const bucket = safeDecode(route[1]!);
  const objectName = route[3] === undefined ? undefined : safeDecode(route[3]);
  const isCollection = route[2] !== undefined && objectName === undefined;

  if (url.pathname.startsWith("/upload/") && method === "POST" && isCollection) {
    return startUpload(context, incoming, bucket);
  }
  if (route[2] === undefined && method === "GET") return json(200, bucketResource(bucket));
  if (isCollection && method === "GET") return listObjects(context, url, bucket);
  if (objectName === undefined) return jsonError(404, "Not Found", "notFound");
  if (method === "GET") {
    const found = context.store.get(bucket, objectName, context.now());
    if (!found) return noSuchObject(bucket, objectName);
    if (url.searchParams.get("alt") === "media") return media(found);
    return json(200, objectResource(found, context.baseUrl));
  }
  if (method === "DELETE") {
    if (!context.store.delete(bucket, objectName)) return noSuchObject(bucket, objectName);
    return { status: 204, headers: {} };
  }
  return jsonError(405, `Method ${method} not allowed here`, "methodNotAllowed");
}

/** A token this server issued and that has not expired, or a valid self-signed JWT. */
function authorized(context: Context, header: string | undefined): boolean {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (token?.startsWith("eyJ")) {
    return checkSelfSignedJwt(token, {
      now: context.now(),
      publicKeys: context.publicKeys,
      allowanceMs: context.options.tokenAllowanceMs,
    });
  }
  const expiresAt = token === undefined ? undefined : context.tokens.get(token);
  return expiresAt !== undefined && expiresAt > context.now();
}

function startUpload(context: Context, incoming: Incoming, bucket: string): Reply {
  const params = incoming.url.searchParams;
  const uploadType = params.get("uploadType");
  if (uploadType === "media") {
    const name = params.get("name");
    if (!name) return jsonError(400, "Required parameter: name", "required");
    const contentType = incoming.headers["content-type"] ?? "application/octet-stream";
    return storeObject(context, bucket, name, incoming.body, contentType);
  }
  if (uploadType === "multipart") {
    const parts = parseMultipart(incoming.body, incoming.headers["content-type"] ?? "");
    const meta = parseJsonObject(parts[0]?.body);
    const media = parts[1];
    const name = params.get("name") ?? stringField(meta, "name");
    if (!media || !name) return jsonError(400, "Malformed multipart body.", "invalid");
    const contentType =
      stringField(meta, "contentType") ?? media.contentType ?? "application/octet-stream";
    return storeObject(context, bucket, name, media.body, contentType);
  }
  if (uploadType === "resumable") {
    const meta = parseJsonObject(incoming.body);
    const name = params.get("name") ?? stringField(meta, "name");
    if (!name) return jsonError(400, "Required parameter: name", "required");
    const contentType =
      headerText(incoming.headers["x-upload-content-type"]) ??
      stringField(meta, "contentType") ??
      "application/octet-stream";
    const id = openSession(context, bucket, name, contentType);
    const location = new URL(
      `/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`,
      context.baseUrl,
    );
    location.searchParams.set("uploadType", "resumable");
    location.searchParams.set("name", name);
    location.searchParams.set("upload_id", id);
    return { status: 200, headers: { Location: location.href } };
  }
  return jsonError(400, `Invalid upload type: ${uploadType ?? ""}`, "invalid");
}

function openSession(context: Context, bucket: string, name: string, contentType: string): string {
  const id = randomBytes(16).toString("base64url");
  context.sessions.set(id, { bucket, name, contentType, chunks: [], received: 0 });
  return id;
}

/**
 * One PUT per chunk. `Content-Range: bytes a-b/total` (or `bytes a-*\/*`, "the rest, size
 * unknown") appends; the upload completes when the total is reached or, with the total
 * unknown, when a chunk says `*`; `bytes *\/…` only asks how far the server got (308).
 */
function resumeUpload(context: Context, incoming: Incoming, id: string): Reply {
  const session = context.sessions.get(id);
  if (!session) return jsonError(404, "No such upload session.", "notFound");
  const range = /^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/.exec(
    headerText(incoming.headers["content-range"]) ?? "bytes 0-*/*",
  );
  if (!range) return jsonError(400, "Invalid Content-Range.", "invalid");
  const [, start, end, total] = range;
  if (start !== undefined) {
    const overlap = session.received - Number(start);
    if (overlap < 0) return jsonError(400, "Chunk starts past the received data.", "invalid");
    const fresh = incoming.body.subarray(Math.min(overlap, incoming.body.length));
    session.chunks.push(fresh);
    session.received += fresh.length;
  }
  const complete =
    total === "*" ? start !== undefined && end === "*" : session.received >= Number(total);
  if (!complete) {
    const headers: Record<string, string> = {};
    if (session.received > 0) headers["Range"] = `bytes=0-${session.received - 1}`;
    return { status: 308, headers };
  }
  context.sessions.delete(id);
  const data = Buffer.concat(session.chunks);
  return storeObject(context, session.bucket, session.name, data, session.contentType);
}

function storeObject(
  context: Context,
  bucket: string,
  name: string,
  data: Buffer,
  contentType: string,
): Reply {
  const stored = context.store.put(bucket, name, data, contentType, context.now());
  return json(200, objectResource(stored, context.baseUrl));
}

function listObjects(context: Context, url: URL, bucket: string): Reply {
  const prefix = url.searchParams.get("prefix") ?? "";
  const delimiter = url.searchParams.get("delimiter") || undefined;
  const maxResults = Number(url.searchParams.get("maxResults") ?? 1000) || 1000;
  const start = Number(url.searchParams.get("pageToken") ?? 0) || 0;
  const { names, prefixes } = context.store.list(bucket, prefix, delimiter);
  const now = context.now();
  const items = names.slice(start, start + maxResults).flatMap((name) => {
    const found = context.store.get(bucket, name, now);
    return found ? [objectResource(found, context.baseUrl)] : [];
  });
  return json(200, {
    kind: "storage#objects",
    ...(items.length > 0 ? { items } : {}),
    ...(prefixes.length > 0 ? { prefixes } : {}),
    ...(start + maxResults < names.length ? { nextPageToken: String(start + maxResults) } : {}),
  });
}

function bucketResource(bucket: string): Record<string, unknown> {
  return {
    kind: "storage#bucket",
    id: bucket,
    name: bucket,
    location: "US",
    storageClass: "STANDARD",
    metageneration: "1",
    projectNumber: "0",
  };
}

/** Object bytes with the headers the client library validates a download by. */
function media(object: GcsStoredObject): Reply {
  return {
    status: 200,
    headers: {
      "Content-Type": object.info.contentType,
      "Content-Length": String(object.data.length),
      ETag: `"${etagOf(object.info)}"`,
      "x-goog-hash": googHash(object.data),
      "x-goog-generation": object.info.generation,
      "x-goog-metageneration": "1",
      "x-goog-stored-content-encoding": "identity",
      "x-goog-stored-content-length": String(object.data.length),
    },
    body: object.data,
  };
}

function unauthorized(): Reply {
  const reply = json(401, {
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
  reply.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"';
  return reply;
}

function noSuchObject(bucket: string, name: string): Reply {
  return jsonError(404, `No such object: ${bucket}/${name}`, "notFound");
}

function jsonError(status: number, message: string, reason: string): Reply {
  return json(status, {
    error: { code: status, message, errors: [{ message, domain: "global", reason }] },
  });
}

function json(status: number, value: unknown): Reply {
  const body = JSON.stringify(value);
  return {
    status,
    headers: {
      "Content-Type": "application/json; charset=UTF-8",
      "Content-Length": String(Buffer.byteLength(body)),
    },
    body,
  };
}

// ---------------------------------------------------------------- XML API (signed URLs)

function xmlApi(context: Context, incoming: Incoming): Reply {
  const { url, method } = incoming;
  const uploadId = url.searchParams.get("upload_id");
  if (uploadId !== null) return resumeXmlUpload(context, incoming, uploadId);
  const [bucket, name] = splitBucketPath(url.pathname);
  if (!bucket)
    return xmlError({ status: 400, code: "InvalidURI", message: "Couldn't parse the bucket." });
  if (!hasV4QuerySignature(incoming.target)) {
    return xmlError({
      status: 403,
      code: "AccessDenied",
      message: "Access denied.",
      details: "Anonymous caller does not have storage.objects.get access.",
    });
  }
  const verdict = verifyV4SignedUrl(
    { method, target: incoming.target, headers: incoming.headers },
    {
      now: context.now(),
      publicKeys: context.publicKeys,
      futureAllowanceMs: context.options.signedUrlFutureAllowanceMs,
    },
  );
  if (!verdict.ok) return xmlError(verdict.error);
  if (name === undefined) {
    return method === "GET" ? xmlList(context, bucket) : methodNotAllowed();
  }
  return xmlObject(context, incoming, bucket, name);
}

function xmlObject(context: Context, incoming: Incoming, bucket: string, name: string): Reply {
  const { method } = incoming;
  if (method === "GET" || method === "HEAD") {
    const found = context.store.get(bucket, name, context.now());
    return found ? media(found) : noSuchKey(bucket, name);
  }
  if (method === "PUT") {
    const contentType = incoming.headers["content-type"] ?? "application/octet-stream";
    const stored = context.store.put(bucket, name, incoming.body, contentType, context.now());
    return {
      status: 200,
      headers: {
        ETag: `"${etagOf(stored.info)}"`,
        "x-goog-hash": googHash(stored.data),
        "x-goog-generation": stored.info.generation,
      },
    };
  }
  if (method === "DELETE") {
    return context.store.delete(bucket, name)
      ? { status: 204, headers: {} }
      : noSuchKey(bucket, name);
  }
  if (method === "POST" && headerText(incoming.headers["x-goog-resumable"]) === "start") {
    const contentType = incoming.headers["content-type"] ?? "application/octet-stream";
    const id = openSession(context, bucket, name, contentType);
    return {
      status: 201,
      headers: { Location: `${context.baseUrl}${incoming.url.pathname}?upload_id=${id}` },
    };
  }
  return methodNotAllowed();
}

/** The XML API's resumable session: one PUT of the whole body completes it. */
function resumeXmlUpload(context: Context, incoming: Incoming, id: string): Reply {
  const session = context.sessions.get(id);
  if (!session) return xmlError({ status: 404, code: "NoSuchUpload", message: "No such upload." });
  context.sessions.delete(id);
  const { bucket, name, contentType } = session;
  const stored = context.store.put(bucket, name, incoming.body, contentType, context.now());
  return { status: 200, headers: { ETag: `"${etagOf(stored.info)}"` } };
}

function splitBucketPath(pathname: string): [string | undefined, string | undefined] {
  const [, rawBucket, rawName] = /^\/([^/]+)(?:\/(.*))?$/.exec(pathname) ?? [];
  if (rawBucket === undefined) return [undefined, undefined];
  const name = rawName === undefined || rawName === "" ? undefined : safeDecode(rawName);
  return [safeDecode(rawBucket), name];
}

function xmlList(context: Context, bucket: string): Reply {
  const now = context.now();
  const contents = context.store
    .list(bucket, "", undefined)
    .names.map((name) => {
      const { data, info } = context.store.get(bucket, name, now)!;
      return `<Contents><Key>${escapeXml(name)}</Key><Generation>${info.generation}</Generation><LastModified>${new Date(info.updatedMs).toISOString()}</LastModified><Size>${data.length}</Size></Contents>`;
    })
    .join("");
  return xml(
    200,
    `<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01"><Name>${escapeXml(bucket)}</Name><Prefix></Prefix><Marker></Marker><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
  );
}

function noSuchKey(bucket: string, name: string): Reply {
  return xmlError({
    status: 404,
    code: "NoSuchKey",
    message: "The specified key does not exist.",
    details: `No such object: ${bucket}/${name}`,
  });
}

function methodNotAllowed(): Reply {
  return xmlError({ status: 405, code: "MethodNotAllowed", message: "Method not allowed." });
}

function xmlError(error: GcsXmlError): Reply {
  const fields: Array<[string, string | undefined]> = [
    ["Code", error.code],
    ["Message", error.message],
    ["Details", error.details],
    ["ParameterName", error.parameterName],
    ["StringToSign", error.stringToSign],
    ["CanonicalRequest", error.canonicalRequest],
  ];
  const inner = fields
    .filter(([, value]) => value !== undefined)
    .map(([tag, value]) => `<${tag}>${escapeXml(value!)}</${tag}>`)
    .join("");
  return xml(error.status, `<Error>${inner}</Error>`);
}

function xml(status: number, document: string): Reply {
  const body = `<?xml version='1.0' encoding='UTF-8'?>${document}`;
  return {
    status,
    headers: {
      "Content-Type": "application/xml; charset=UTF-8",
      "Content-Length": String(Buffer.byteLength(body)),
    },
    body,
  };
}

const XML_ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** Text nodes only need `&`, `<` and `>` escaped; GCS leaves quotes as they are. */
function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => XML_ENTITIES[c]!);
}

// ---------------------------------------------------------------- bodies

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** `multipart/related` as the client library writes it: a JSON metadata part, then the media. */
function parseMultipart(
  body: Buffer,
  contentType: string,
): Array<{ contentType: string | undefined; body: Buffer }> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ contentType: string | undefined; body: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd >= 0) {
      const head = part.subarray(0, headerEnd).toString("utf8");
      let content = part.subarray(headerEnd + 4);
      if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2);
      const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
      parts.push({ contentType: type, body: content });
    }
    at = next;
  }
  return parts;
}

function parseJsonObject(body: Buffer | undefined): Record<string, unknown> | undefined {
  if (!body || body.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return value !== null && typeof value === "object"
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(object: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === "string" ? value : undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
