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
import {
  parseContentRange,
  persistedRange,
  ResumableSession,
  type SessionOutcome,
  type SessionStart,
} from "./gcs-resumable.js";
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
import { isPostPolicyRequest, verifyPostPolicy } from "./gcs-post-policy.js";
import { hasV2QuerySignature, verifyV2SignedUrl } from "./gcs-v2-verifier.js";
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

/** One request of a resumable upload (JSON API session, or XML API signed-URL session). */
export interface GcsUploadRecord {
  /**
   * `initiate`: the `POST` that opens a session; `chunk`: a `PUT` of bytes to the session URI;
   * `query`: a `PUT` asking how far the server got (`Content-Range: bytes *\/*`).
   */
  request: "initiate" | "chunk" | "query";
  /** The `Content-Range` as sent (session `PUT`s). */
  contentRange?: string;
  /** Body bytes that arrived. */
  bytes: number;
  /** The answer's status; `"dropped"` when the `drop-upload` fault reset the connection mid-body. */
  status: number | "dropped";
  /** Whether the request carried an `Authorization` header. */
  authorization: boolean;
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
  /** Every resumable upload request, in order (cleared by `resetCounts`). */
  readonly uploads: GcsUploadRecord[];
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

interface Context {
  store: GcsObjectStore;
  tokens: Map<string, number>;
  sessions: Map<string, ResumableSession>;
  /** Sessions whose last byte arrived: later requests are answered with the object. */
  finished: Map<string, GcsStoredObject>;
  grants: GcsGrantRecord[];
  uploads: GcsUploadRecord[];
  faults: GcsFaults;
  /** Upload `PUT`s the `drop-upload` fault has dropped since it was set. */
  dropped: number;
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
    finished: new Map(),
    grants: [],
    uploads: [],
    faults: { ...options.faults },
    dropped: 0,
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
      .then((reply) => {
        // A connection lost mid-body: reset (RST), as when a load balancer drops it.
        if (reply === DROPPED) return void req.socket.resetAndDestroy();
        // Every answer tells the client what time the server thinks it is (unless faulted).
        writeReply(req, res, reply, context.now(), fault);
      })
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
    uploads: context.uploads,
    now: context.now,
    setClockOffset(ms: number) {
      clockOffsetMs = ms;
    },
    setFaults(faults: GcsFaults) {
      context.faults = { ...faults };
      context.dropped = 0;
    },
    resetCounts() {
      counts.token = 0;
      counts.json = 0;
      counts.xml = 0;
      context.grants.length = 0;
      context.uploads.length = 0;
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

/** What `respond` returns for a request whose connection the `drop-upload` fault cut. */
const DROPPED = Symbol("dropped");

async function respond(
  context: Context,
  endpoint: GcsEndpoint,
  fault: GcsFault | undefined,
  req: IncomingMessage,
): Promise<Reply | typeof DROPPED> {
  const target = req.url ?? "/";
  const url = new URL(target, context.baseUrl);
  const cutAt = dropPoint(context, fault, req.method, url);
  const { body, cut } = await readBody(req, cutAt);
  const incoming: Incoming = {
    method: req.method ?? "GET",
    url,
    target,
    headers: req.headers,
    body,
  };
  if (cut) {
    context.dropped++;
    interruptUpload(context, incoming);
    return DROPPED;
  }
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
  const reply = jsonRoutes(context, incoming);
  const request = uploadRequestOf(incoming);
  if (request) recordUpload(context, incoming, request, reply.status);
  return reply;
}

function jsonRoutes(context: Context, incoming: Incoming): Reply {
  const { url, method } = incoming;
  const uploadId = url.searchParams.get("upload_id");
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
    const declared = headerText(incoming.headers["x-upload-content-length"]);
    const ifGenerationMatch = params.get("ifGenerationMatch") ?? undefined;
    if (!generationMatches(context, bucket, name, ifGenerationMatch)) return conditionNotMet();
    const id = openSession(context, {
      bucket,
      name,
      contentType,
      total: declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined,
      ifGenerationMatch,
    });
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

function openSession(context: Context, start: SessionStart): string {
  const id = randomBytes(16).toString("base64url");
  context.sessions.set(id, new ResumableSession(start));
  return id;
}

/**
 * A `PUT` to a session URI (see gcs-resumable.ts): a chunk, or a status query. The session URI
 * is its own credential, as on GCS, so no token is needed; but one that is sent must be valid
 * (the client library sends its bearer token on every request of the upload).
 */
function resumeUpload(context: Context, incoming: Incoming, id: string): Reply {
  if (
    incoming.headers.authorization !== undefined &&
    !authorized(context, incoming.headers.authorization)
  ) {
    return unauthorized();
  }
  const outcome = advanceSession(context, incoming, id);
  switch (outcome.kind) {
    case "missing":
      return jsonError(404, "No such upload session.", "notFound");
    case "error":
      return jsonError(outcome.error.status, outcome.error.message, outcome.error.reason);
    case "incomplete":
      return { status: 308, headers: persistedRange(outcome.persisted) };
    case "stored":
      return json(200, objectResource(outcome.stored, context.baseUrl));
    case "precondition":
      return conditionNotMet();
  }
}

type Advance =
  | Exclude<SessionOutcome, { kind: "complete" }>
  | { kind: "missing" }
  | { kind: "precondition" }
  | { kind: "stored"; stored: GcsStoredObject };

/** Applies a session `PUT` (either API); the session's last byte writes the object. */
function advanceSession(context: Context, incoming: Incoming, id: string): Advance {
  const finished = context.finished.get(id);
  if (finished) return { kind: "stored", stored: finished };
  const session = context.sessions.get(id);
  if (!session) return { kind: "missing" };
  const range = parseContentRange(headerText(incoming.headers["content-range"]));
  if (!range) {
    return {
      kind: "error",
      error: { status: 400, message: "Invalid Content-Range.", reason: "invalid" },
    };
  }
  const outcome = session.put(range, incoming.body);
  if (outcome.kind !== "complete") return outcome;
  const { bucket, name, contentType, data } = outcome.object;
  context.sessions.delete(id);
  if (!generationMatches(context, bucket, name, session.start.ifGenerationMatch)) {
    return { kind: "precondition" };
  }
  const stored = context.store.put(bucket, name, data, contentType, context.now());
  context.finished.set(id, stored);
  return { kind: "stored", stored };
}

/** The bytes that arrived before the `drop-upload` fault cut the connection are persisted. */
function interruptUpload(context: Context, incoming: Incoming): void {
  const id = incoming.url.searchParams.get("upload_id");
  const session = id === null ? undefined : context.sessions.get(id);
  const range = parseContentRange(headerText(incoming.headers["content-range"]));
  if (session && range) session.put(range, incoming.body, true);
  recordUpload(context, incoming, "chunk", "dropped");
}

/** `ifGenerationMatch`: `0` means "only if there is no such object yet". */
function generationMatches(
  context: Context,
  bucket: string,
  name: string,
  ifGenerationMatch: string | undefined,
): boolean {
  if (ifGenerationMatch === undefined) return true;
  const current = context.store.get(bucket, name, context.now())?.info.generation ?? "0";
  return current === ifGenerationMatch;
}

function conditionNotMet(): Reply {
  return jsonError(
    412,
    "At least one of the pre-conditions you specified did not hold.",
    "conditionNotMet",
  );
}

/** Which step of a resumable upload a JSON or XML API request is, if it is one. */
function uploadRequestOf(incoming: Incoming): GcsUploadRecord["request"] | undefined {
  const { url, method } = incoming;
  if (url.searchParams.has("upload_id")) {
    const range = parseContentRange(headerText(incoming.headers["content-range"]));
    return range?.kind === "query" ? "query" : "chunk";
  }
  const jsonStart =
    method === "POST" &&
    url.pathname.startsWith("/upload/") &&
    url.searchParams.get("uploadType") === "resumable";
  const xmlStart =
    method === "POST" && headerText(incoming.headers["x-goog-resumable"]) === "start";
  return jsonStart || xmlStart ? "initiate" : undefined;
}

function recordUpload(
  context: Context,
  incoming: Incoming,
  request: GcsUploadRecord["request"],
  status: GcsUploadRecord["status"],
): void {
  const contentRange = headerText(incoming.headers["content-range"]);
  context.uploads.push({
    request,
    ...(contentRange === undefined ? {} : { contentRange }),
    bytes: incoming.body.length,
    status,
    authorization: incoming.headers.authorization !== undefined,
  });
}

/** How many body bytes may arrive before the `drop-upload` fault cuts this request, if it does. */
function dropPoint(
  context: Context,
  fault: GcsFault | undefined,
  method: string | undefined,
  url: URL,
): number | undefined {
  if (fault?.kind !== "drop-upload" || method !== "PUT" || !url.searchParams.has("upload_id")) {
    return undefined;
  }
  return context.dropped < (fault.times ?? 1) ? Math.max(0, fault.afterBytes) : undefined;
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
  const reply = xmlRoutes(context, incoming);
  const request = uploadRequestOf(incoming);
  if (request) recordUpload(context, incoming, request, reply.status);
  return reply;
}

function xmlRoutes(context: Context, incoming: Incoming): Reply {
  const { url, method } = incoming;
  const uploadId = url.searchParams.get("upload_id");
  if (uploadId !== null) return resumeXmlUpload(context, incoming, uploadId);
  const [bucket, name] = splitBucketPath(url.pathname);
  if (!bucket)
    return xmlError({ status: 400, code: "InvalidURI", message: "Couldn't parse the bucket." });
  if (isPostPolicyRequest(method, name, headerText(incoming.headers["content-type"]))) {
    return postPolicyUpload(context, incoming, bucket);
  }
  const verdict = verifySignedUrl(context, incoming);
  if (!verdict.ok) return xmlError(verdict.error);
  if (name === undefined) {
    return method === "GET" ? xmlList(context, bucket) : methodNotAllowed();
  }
  return xmlObject(context, incoming, bucket, name);
}

/** A browser form upload with a V4 POST policy (see gcs-post-policy.ts). */
function postPolicyUpload(context: Context, incoming: Incoming, bucket: string): Reply {
  const verdict = verifyPostPolicy({
    bucket,
    body: incoming.body,
    contentType: headerText(incoming.headers["content-type"]),
    nowMs: context.now(),
    publicKeys: context.publicKeys,
  });
  if (!verdict.ok) return xmlError(verdict.error);
  const stored = context.store.put(
    bucket,
    verdict.key,
    verdict.data,
    verdict.contentType,
    context.now(),
  );
  const headers = { ETag: `"${etagOf(stored.info)}"`, "x-goog-hash": googHash(stored.data) };
  if (verdict.status !== 201) return { status: verdict.status, headers };
  const reply = xml(
    201,
    `<PostResponse><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(verdict.key)}</Key><ETag>"${etagOf(stored.info)}"</ETag></PostResponse>`,
  );
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

/** A V4 or V2 signed URL, verified on the server's clock; anything else is anonymous. */
function verifySignedUrl(
  context: Context,
  incoming: Incoming,
): { ok: true } | { ok: false; error: GcsXmlError } {
  const request = { method: incoming.method, target: incoming.target, headers: incoming.headers };
  if (hasV4QuerySignature(incoming.target)) {
    return verifyV4SignedUrl(request, {
      now: context.now(),
      publicKeys: context.publicKeys,
      futureAllowanceMs: context.options.signedUrlFutureAllowanceMs,
    });
  }
  if (hasV2QuerySignature(incoming.target)) {
    return verifyV2SignedUrl(request, { now: context.now(), publicKeys: context.publicKeys });
  }
  return {
    ok: false,
    error: {
      status: 403,
      code: "AccessDenied",
      message: "Access denied.",
      details: "Anonymous caller does not have storage.objects.get access.",
    },
  };
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
    const id = openSession(context, { bucket, name, contentType });
    return {
      status: 201,
      headers: { Location: `${context.baseUrl}${incoming.url.pathname}?upload_id=${id}` },
    };
  }
  return methodNotAllowed();
}

/** The XML API's resumable session: the same protocol, answered in XML. */
function resumeXmlUpload(context: Context, incoming: Incoming, id: string): Reply {
  const outcome = advanceSession(context, incoming, id);
  switch (outcome.kind) {
    case "missing":
      return xmlError({ status: 404, code: "NoSuchUpload", message: "No such upload." });
    case "error":
      return xmlError({ status: 400, code: "InvalidArgument", message: outcome.error.message });
    case "incomplete":
      return { status: 308, headers: persistedRange(outcome.persisted) };
    case "stored":
      return { status: 200, headers: { ETag: `"${etagOf(outcome.stored.info)}"` } };
    case "precondition":
      return xmlError({
        status: 412,
        code: "PreconditionFailed",
        message: "At least one of the pre-conditions you specified did not hold.",
      });
  }
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

/** The request body; with `cutAt`, only its first `cutAt` bytes once that many have arrived. */
async function readBody(
  req: IncomingMessage,
  cutAt?: number,
): Promise<{ body: Buffer; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
    if (cutAt !== undefined && size >= cutAt) {
      return { body: Buffer.concat(chunks).subarray(0, cutAt), cut: true };
    }
  }
  return { body: Buffer.concat(chunks), cut: false };
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
