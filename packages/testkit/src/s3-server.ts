import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeAwsChunked } from "./aws-chunked.js";
import { checksumAlgorithmOf, contentMd5Problem, findChecksumMismatch } from "./checksums.js";
import { type IdleTimer, startIdleTimer } from "./idle-timer.js";
import {
  type AuthOptions,
  type PayloadExpectation,
  type SkewErrorStyle,
  authenticateRequest,
  headerValues,
} from "./s3-auth.js";
import {
  type S3ErrorResponse,
  type ServerFlavor,
  accessDenied,
  badDigest,
  contentMd5Mismatch,
  contentSha256Mismatch,
  entityTooLarge,
  errorXml,
  incompleteBody,
  invalidDigest,
  signatureDoesNotMatch,
} from "./s3-errors.js";
import {
  type ActiveFault,
  type S3Fault,
  activeFault,
  faultyErrorBody,
  runawaySkewError,
  takeFault,
} from "./s3-faults.js";
import { S3_MIN_PART_BYTES } from "./s3-multipart.js";
import {
  type OperationResult,
  createObjectStore,
  requestedOperation,
  runOperation,
} from "./s3-operations.js";
import { type S3CorsOptions, createS3Cors } from "./s3-cors.js";
import { isPostObjectRequest, postObject } from "./s3-post-object.js";
import { type DateHeaderMode, createServerClock, dateHeaders, httpDate } from "./server-clock.js";
import { type RawHeader, parseQuery, percentDecode, sha256Hex } from "./sigv4.js";

/**
 * A loopback S3-compatible server with its own clock that verifies SigV4 for real, for tests,
 * demos and benchmarks of clock-skew handling. Path-style addressing only: configure clients
 * with `forcePathStyle: true` and `endpoint: server.url`.
 */

export interface S3TestServerOptions {
  /**
   * Server clock = real clock + this offset; change it later with `setClockOffset`.
   * @default 0
   */
  clockOffsetMs?: number;
  /**
   * How far a header-signed request's time may be from the server's (S3's is 15 minutes).
   * @default 900_000
   */
  allowedSkewMs?: number;
  /**
   * How a stale header-signed request is refused: S3's own `RequestTimeTooSkewed` (with
   * `RequestTime`, `ServerTime`, `MaxAllowedSkewMilliseconds`), or `SignatureDoesNotMatch`
   * with the server's string to sign (as some S3-compatible stores do).
   * @default "RequestTimeTooSkewed"
   */
  errorStyle?: SkewErrorStyle;
  /**
   * Fault mode of the `Date` response header; see `DateHeaderMode`.
   * @default "normal"
   */
  dateHeader?: DateHeaderMode;
  /**
   * For `dateHeader: "with-age"`: the `Age` value and how stale `Date` is.
   * @default 100
   */
  ageSeconds?: number;
  /**
   * Access key id -> secret.
   * @default { AKIDEXAMPLE: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }
   */
  credentials?: Record<string, string>;
  /**
   * The region credential scopes must name (S3 answers AuthorizationHeaderMalformed otherwise;
   * the GCS flavor accepts any).
   * @default "us-east-1"
   */
  region?: string;
  /**
   * The server stops by itself once no request has been in flight for this long; `0` never
   * (the same for every testkit server).
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * `gcs` answers like the Google Cloud Storage XML API used with HMAC keys: `x-goog-*`
   * headers, GCS error shapes, no `x-amz-request-id`.
   * @default "s3"
   */
  flavor?: ServerFlavor;
  /**
   * `minimal` strips the evidence from error bodies (no `ServerTime`, `StringToSign`...): a
   * server whose only clock evidence is the `Date` header. `code-only` goes further, as some
   * S3-compatible stores do: `Code` and `Message` alone, no `RequestId` or `HostId`, and no
   * request id headers on errors (a `RequestTimeTooSkewed` with nothing but `Date`).
   * @default "full"
   */
  errorBody?: "full" | "minimal" | "code-only";
  /**
   * Refuse a request that fails authentication as soon as its headers are in, without reading
   * its body, and close the connection, as S3 does: a client still sending the body finds the
   * socket closed under it (without `Expect: 100-continue` it never waited for a verdict).
   * @default false
   */
  earlyRefusal?: boolean;
  /**
   * Object keys under these prefixes are refused with a policy AccessDenied, whatever the
   * signature: an error no clock fix can cure.
   * @default ["denied/"]
   */
  deniedPrefixes?: string[];
  /**
   * Answer NoSuchBucket for buckets never created nor written to. By default any bucket
   * exists (empty until written), so a missing key is always NoSuchKey.
   * @default false
   */
  strictBuckets?: boolean;
  /**
   * Keep the Node.js process alive while the server runs (for demos serving other
   * processes). By default the server and its timers are unref'd.
   * @default false
   */
  keepProcessAlive?: boolean;
  /**
   * A misbehaviour on every request from the start (see `S3Fault`); `setFault` changes it.
   * @default none
   */
  fault?: S3Fault;
  /**
   * CompleteMultipartUpload refuses parts smaller than this (all but the last) with
   * `EntityTooSmall`, as S3 does at 5 MiB. Lower it for quick tests of raw multipart commands.
   * @default 5_242_880
   */
  minPartBytes?: number;
  /**
   * The largest browser-style POST body read (fields and file); larger ones get
   * `EntityTooLarge` without being stored.
   * @default 64 MiB
   */
  maxPostBodyBytes?: number;
  /**
   * Answer pages on other origins as a bucket with a CORS configuration does (preflights, and
   * `Access-Control-*` headers on every answer, errors included); see `S3CorsOptions`.
   * @default undefined (no CORS: a browser hides every answer from a page on another origin)
   */
  cors?: S3CorsOptions;
}

/**
 * Move the server clock by `byMs` once `count` requests of `operation` have been answered with
 * success (`when: "answered"`), or when the `count`-th of them arrives, before it is judged
 * (`when: "arrival"`; refused ones and retries count too).
 */
export interface ClockStep {
  /** An operation name, e.g. `UploadPart` (as logged for accepted requests). */
  operation: string;
  /** How many answers (or arrivals) of that operation trigger the step; at least 1. */
  count: number;
  byMs: number;
  /** @default "answered" */
  when?: "answered" | "arrival";
}

export interface S3RequestLogEntry {
  method: string;
  /** The raw request path, without the query. */
  path: string;
  query: string;
  status: number;
  /** The error code, for error responses. */
  code?: string;
  /** Real-clock milliseconds when the response was sent. */
  at: number;
  /** S3 operation name, e.g. `GetObject`. */
  operation?: string;
  bucket?: string;
  key?: string;
  /** `attempt=N` from the AWS SDK's `amz-sdk-request` header. */
  sdkAttempt?: number;
  /** The `x-amz-content-sha256` the client sent (shows which payload mode it chose). */
  contentSha256?: string;
  /** The signing time the request claimed (`X-Amz-Date`, header, query or POST form), as sent. */
  signedAt?: string;
  /** `partNumber` of an UploadPart or UploadPartCopy, whether it was accepted or refused. */
  partNumber?: number;
  /** Which connection the request came on: 1 for the server's first, counting up. */
  connection?: number;
}

export interface S3TestServer {
  url: string;
  host: string;
  port: number;
  /** Every request received, counted on arrival. */
  readonly attempts: number;
  /** Completed requests matching the filter; `key` matches `key` or `bucket/key`. */
  attemptsBy(filter?: { method?: string; key?: string; operation?: string }): number;
  readonly log: S3RequestLogEntry[];
  /** `bucket/key` -> stored bytes (after aws-chunked decoding); tests may seed it. */
  readonly objects: Map<string, Buffer>;
  /** The server's current time in milliseconds. */
  now(): number;
  /** Server clock minus the real one, as it is now (steps included). */
  readonly clockOffsetMs: number;
  setClockOffset(ms: number): void;
  /** Moves the server clock by `byMs` now (a positive step puts it ahead): an NTP step. */
  stepClock(byMs: number): void;
  /**
   * Moves the server clock by `byMs` once, in the middle of a run (a multipart upload): right
   * after the `count`-th successful answer of `step.operation`, or, with `when: "arrival"`, as
   * the `count`-th request of it arrives, before it is judged (so requests already in flight
   * meet the new clock). Counted from this call; several steps may be pending;
   * `resetCounts()` cancels them.
   */
  stepClockAfter(step: ClockStep): void;
  setDateHeader(mode: DateHeaderMode): void;
  setErrorStyle(style: SkewErrorStyle): void;
  /** Misbehave on the next `times` requests (every one when absent); `undefined` stops. */
  setFault(fault: S3Fault | undefined, times?: number): void;
  resetCounts(): void;
  close(): Promise<void>;
  /** Resolves when the server has stopped, by `close()` or by idling out. */
  readonly closed: Promise<void>;
}

export const DEFAULT_CREDENTIALS: Readonly<Record<string, string>> = {
  AKIDEXAMPLE: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

interface Target {
  bucket: string | undefined;
  key: string | undefined;
}

function parseTarget(rawPath: string): Target {
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  if (path === "") return { bucket: undefined, key: undefined };
  const slash = path.indexOf("/");
  const decode = (text: string) => percentDecode(text).toString("utf8");
  if (slash < 0) return { bucket: decode(path), key: undefined };
  return { bucket: decode(path.slice(0, slash)), key: decode(path.slice(slash + 1)) };
}

function rawHeaderPairs(raw: readonly string[]): RawHeader[] {
  const pairs: RawHeader[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Reads at most `cap` bytes; a longer body is drained, not kept. */
function readBodyCapped(
  req: IncomingMessage,
  cap: number,
): Promise<{ overflow: false; data: Buffer } | { overflow: true; received: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received <= cap) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () =>
      resolve(
        received > cap
          ? { overflow: true, received }
          : { overflow: false, data: Buffer.concat(chunks) },
      ),
    );
    req.on("error", reject);
  });
}

/** `Content-MD5` and `x-amz-checksum-*` (headers or trailers) against the bytes received. */
function bodyDigestError(
  headers: readonly RawHeader[],
  checksums: readonly RawHeader[],
  data: Buffer,
): S3ErrorResponse | undefined {
  const contentMd5 = headerValues(headers, "content-md5")[0];
  if (contentMd5 !== undefined) {
    const problem = contentMd5Problem(contentMd5, data);
    if (problem?.kind === "invalid") return invalidDigest(contentMd5);
    if (problem?.kind === "mismatch")
      return contentMd5Mismatch(contentMd5.trim(), problem.calculated);
  }
  const mismatch = findChecksumMismatch(checksums, data);
  return mismatch ? badDigest(mismatch.algorithm) : undefined;
}

function sdkAttempt(headers: readonly RawHeader[]): number | undefined {
  const value = headerValues(headers, "amz-sdk-request")[0];
  const match = value ? /attempt=(\d+)/.exec(value) : null;
  return match ? Number(match[1]) : undefined;
}

type PayloadCheck =
  | { ok: true; data: Buffer; trailers: Array<[string, string]> }
  | { ok: false; error: S3ErrorResponse };

function checkPayload(
  payload: PayloadExpectation,
  raw: Buffer,
  headers: readonly RawHeader[],
  flavor: ServerFlavor,
  accessKeyId: string,
): PayloadCheck {
  if (payload.kind === "unsigned") return { ok: true, data: raw, trailers: [] };
  if (payload.kind === "sha256") {
    const actual = sha256Hex(raw);
    if (actual !== payload.hash)
      return { ok: false, error: contentSha256Mismatch(payload.hash, actual) };
    return { ok: true, data: raw, trailers: [] };
  }
  const decoded = decodeAwsChunked(raw, payload.mode, payload.signing);
  if (!decoded.ok) {
    if (decoded.reason === "malformed")
      return { ok: false, error: incompleteBody(decoded.message) };
    return {
      ok: false,
      error: signatureDoesNotMatch(flavor, {
        accessKeyId,
        stringToSign: decoded.stringToSign ?? "",
        signatureProvided: decoded.signatureProvided ?? "",
        canonicalRequest: "",
      }),
    };
  }
  const declared = headerValues(headers, "x-amz-decoded-content-length")[0];
  if (declared !== undefined && Number(declared) !== decoded.data.length) {
    return {
      ok: false,
      error: incompleteBody(
        "You did not provide the number of bytes specified by the x-amz-decoded-content-length header",
      ),
    };
  }
  return { ok: true, data: decoded.data, trailers: decoded.trailers };
}

export async function startS3TestServer(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const clock = createServerClock(options.clockOffsetMs ?? 0);
  const flavor = options.flavor ?? "s3";
  const auth: AuthOptions = {
    credentials: options.credentials ?? DEFAULT_CREDENTIALS,
    region: options.region ?? "us-east-1",
    allowedSkewMs: options.allowedSkewMs ?? 15 * 60_000,
    errorStyle: options.errorStyle ?? "RequestTimeTooSkewed",
    flavor,
  };
  const operationOptions = {
    flavor,
    deniedPrefixes: options.deniedPrefixes ?? ["denied/"],
    strictBuckets: options.strictBuckets ?? false,
    minPartBytes: options.minPartBytes ?? S3_MIN_PART_BYTES,
  };
  const maxPostBodyBytes = options.maxPostBodyBytes ?? 64 * 1024 * 1024;
  const clockSteps: Array<ClockStep & { seen: number }> = [];
  let dateMode: DateHeaderMode = options.dateHeader ?? "normal";
  const ageSeconds = options.ageSeconds ?? 100;
  const minimalErrors = options.errorBody === "minimal" || options.errorBody === "code-only";
  const codeOnlyErrors = options.errorBody === "code-only";
  const earlyRefusal = options.earlyRefusal === true;
  let pendingFault: ActiveFault | undefined = activeFault(options.fault);
  const faults = new WeakMap<IncomingMessage, S3Fault>();
  const stalled = new Set<ServerResponse>();
  const store = createObjectStore(clock.now());
  const log: S3RequestLogEntry[] = [];
  let attempts = 0;
  let port = 0;
  const cors = options.cors ? createS3Cors(options.cors) : undefined;

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    result: OperationResult,
    entry: Omit<S3RequestLogEntry, "status" | "at">,
  ): void {
    const isError = result.error !== undefined;
    const fault = faults.get(req);
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const hostId = randomBytes(48).toString("base64");
    res.sendDate = false;
    cors?.decorate(req, res);
    if (flavor === "s3") {
      if (!(isError && codeOnlyErrors)) {
        res.setHeader("x-amz-request-id", requestId);
        res.setHeader("x-amz-id-2", hostId);
      }
      res.setHeader("Server", "AmazonS3");
    } else {
      res.setHeader("X-GUploader-UploadID", randomBytes(48).toString("base64url"));
      res.setHeader("Server", "UploadServer");
    }
    for (const [name, value] of dateHeaders(dateMode, clock.now(), isError, ageSeconds)) {
      res.setHeader(name, value);
    }
    if (fault?.kind === "date-disagrees" && isError) {
      res.setHeader("Date", httpDate(clock.now() + fault.byMs));
    }
    for (const [name, value] of result.headers) res.setHeader(name, value);
    let body: Buffer | string | undefined = result.body;
    if (result.error) {
      body = faultyErrorBody(
        fault,
        errorXml(
          result.error,
          flavor,
          codeOnlyErrors ? undefined : { requestId, hostId },
          minimalErrors,
        ),
      );
      res.setHeader(
        "Content-Type",
        flavor === "gcs" ? "application/xml; charset=UTF-8" : "application/xml",
      );
    }
    if (fault?.kind === "reset-after-headers") {
      // A length promised and never delivered: the client waits for a body that is cut off.
      res.setHeader("Content-Length", (body === undefined ? 0 : Buffer.byteLength(body)) + 1);
      res.writeHead(result.status);
      res.flushHeaders();
      // Let the headers reach the client first, so it is the body that never comes.
      setTimeout(() => res.socket?.destroy(), 20).unref();
    } else if (req.method === "HEAD" || body === undefined) {
      // HEAD answers carry no body, errors included: S3 sends only the status and headers.
      if (result.error) res.removeHeader("Content-Type");
      res.writeHead(result.status);
      res.end();
    } else {
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.writeHead(result.status);
      res.end(body);
    }
    log.push({
      ...entry,
      status: result.status,
      ...(result.error ? { code: result.error.code } : {}),
      at: Date.now(),
      operation: result.operation,
    });
    if (result.status < 300) runClockSteps(result.operation, "answered");
  }

  function runClockSteps(operation: string, moment: "answered" | "arrival"): void {
    for (let i = 0; i < clockSteps.length; i++) {
      const step = clockSteps[i] as ClockStep & { seen: number };
      if ((step.when ?? "answered") !== moment || step.operation !== operation) continue;
      if (++step.seen < step.count) continue;
      clock.setOffset(clock.offsetMs + step.byMs);
      clockSteps.splice(i--, 1);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean) {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? "" : url.slice(queryAt + 1);
    const method = (req.method ?? "GET").toUpperCase();
    const headers = rawHeaderPairs(req.rawHeaders);
    const target = parseTarget(rawPath);
    const attempt = sdkAttempt(headers);
    const contentSha256 = headerValues(headers, "x-amz-content-sha256")[0];
    const signedAt =
      headerValues(headers, "x-amz-date")[0] ?? /[?&]X-Amz-Date=([^&]*)/.exec(url)?.[1];
    const fault = takeFault(pendingFault);
    if (fault) faults.set(req, fault);
    const query = new Map(parseQuery(rawQuery));
    const partNumber = /^\d+$/.test(query.get("partNumber") ?? "")
      ? Number(query.get("partNumber"))
      : undefined;
    if (clockSteps.length > 0) {
      runClockSteps(
        requestedOperation({ method, bucket: target.bucket, key: target.key, query, headers }),
        "arrival",
      );
    }
    const connection = connections.get(req.socket);
    const entry: Omit<S3RequestLogEntry, "status" | "at"> = {
      method,
      ...(connection === undefined ? {} : { connection }),
      path: rawPath,
      query: rawQuery,
      ...(target.bucket === undefined ? {} : { bucket: target.bucket }),
      ...(target.key === undefined ? {} : { key: target.key }),
      ...(attempt === undefined ? {} : { sdkAttempt: attempt }),
      ...(contentSha256 === undefined ? {} : { contentSha256 }),
      ...(signedAt === undefined ? {} : { signedAt }),
      ...(partNumber === undefined ? {} : { partNumber }),
    };
    const refuse = async (error: S3ErrorResponse) => {
      if (expectContinue || earlyRefusal) {
        // Like S3: refuse before the body is sent (or while it still comes), and drop the
        // connection it was bound for.
        res.setHeader("Connection", "close");
      } else {
        await readBody(req);
      }
      send(
        req,
        res,
        { operation: "Authenticate", status: error.status, headers: [], error },
        entry,
      );
      // The answer is out; the connection goes, whatever of the body was still on its way.
      if (earlyRefusal && !expectContinue) res.on("finish", () => req.socket.destroy());
    };

    if (fault?.kind === "stall") {
      await readBody(req);
      stalled.add(res);
      return;
    }
    if (fault?.kind === "always-skewed") {
      await refuse(runawaySkewError(fault, signedAt, clock.now()));
      return;
    }
    const contentType = headerValues(headers, "content-type")[0];
    if (isPostObjectRequest(method, target.bucket, target.key, rawQuery, contentType)) {
      // A browser upload authenticates with the signed policy in its form, not the request.
      if (expectContinue) res.writeContinue();
      const body = await readBodyCapped(req, maxPostBodyBytes);
      if (body.overflow) {
        const error = entityTooLarge(body.received, maxPostBodyBytes);
        send(
          req,
          res,
          { operation: "PostObject", status: error.status, headers: [], error },
          entry,
        );
        return;
      }
      const outcome = postObject(
        {
          bucket: target.bucket as string,
          body: body.data,
          contentType,
          host: headerValues(headers, "host")[0] ?? `127.0.0.1:${port}`,
          nowMs: clock.now(),
        },
        store,
        { ...auth, deniedPrefixes: operationOptions.deniedPrefixes },
      );
      send(req, res, outcome.result, {
        ...entry,
        ...(outcome.key === undefined ? {} : { key: outcome.key }),
        ...(outcome.signedAt === undefined ? {} : { signedAt: outcome.signedAt }),
      });
      return;
    }
    const authResult = authenticateRequest(
      { method, path: rawPath, query: rawQuery, headers },
      clock.now(),
      auth,
    );
    if (!authResult.ok) {
      const error =
        "anonymous" in authResult
          ? accessDenied(flavor, "anonymous caller", "storage.objects.get")
          : authResult.error;
      await refuse(error);
      return;
    }
    if (expectContinue) res.writeContinue();
    const raw = await readBody(req);
    const payload = checkPayload(authResult.payload, raw, headers, flavor, authResult.accessKeyId);
    if (!payload.ok) {
      send(
        req,
        res,
        {
          operation: "Authenticate",
          status: payload.error.status,
          headers: [],
          error: payload.error,
        },
        entry,
      );
      return;
    }
    // Presigned URLs' query checksums are ignored, as S3 documents; headers and trailers count.
    const checksums = [...headers, ...payload.trailers].filter(([name]) =>
      checksumAlgorithmOf(name),
    );
    // CompleteMultipartUpload's checksum headers describe the object, not its XML body
    // (Content-MD5 still does).
    const describesBody = !(method === "POST" && query.has("uploadId"));
    const digestError = bodyDigestError(headers, describesBody ? checksums : [], payload.data);
    if (digestError) {
      send(
        req,
        res,
        { operation: "Checksum", status: digestError.status, headers: [], error: digestError },
        entry,
      );
      return;
    }
    const result = runOperation(
      {
        method,
        bucket: target.bucket,
        key: target.key,
        query,
        headers,
        body: payload.data,
        checksums: checksums.map(([name, value]) => [name.toLowerCase(), value]),
        accessKeyId: authResult.accessKeyId,
        nowMs: clock.now(),
      },
      store,
      operationOptions,
    );
    send(req, res, result, entry);
  }

  let idle: IdleTimer | undefined;
  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const server = createServer({ keepAliveTimeout: 5_000 });
  const connections = new WeakMap<object, number>();
  let connectionCount = 0;
  server.on("connection", (socket) => connections.set(socket, ++connectionCount));

  function close(): Promise<void> {
    if (closing) return closing;
    idle?.stop();
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const res of stalled) res.destroy();
      stalled.clear();
      server.closeAllConnections();
    }).then(resolveClosed);
    return closing;
  }

  const dispatch = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => {
    attempts++;
    const done = idle?.enter();
    handle(req, res, expectContinue)
      .catch((error: unknown) => {
        if (res.headersSent) return;
        const failure: S3ErrorResponse = {
          status: 500,
          code: "InternalError",
          message: `We encountered an internal error. Please try again. (${String(error)})`,
        };
        send(
          req,
          res,
          { operation: "Internal", status: 500, headers: [], error: failure },
          {
            method: req.method ?? "GET",
            path: req.url ?? "/",
            query: "",
          },
        );
      })
      .finally(() => {
        done?.();
      });
  };
  server.on("request", (req, res) => {
    // A preflight is the browser asking, not the page: it is neither counted nor logged.
    if (cors?.preflight(req, res)) return;
    dispatch(req, res, false);
  });
  server.on("checkContinue", (req, res) => dispatch(req, res, true));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (!options.keepProcessAlive) server.unref();
  idle = startIdleTimer(options.idleTimeoutMs ?? 60_000, () => void close(), {
    keepProcessAlive: options.keepProcessAlive === true,
  });
  ({ port } = server.address() as AddressInfo);

  return {
    url: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    get attempts() {
      return attempts;
    },
    attemptsBy(filter = {}) {
      return log.filter(
        (entry) =>
          (filter.method === undefined || entry.method === filter.method.toUpperCase()) &&
          (filter.operation === undefined || entry.operation === filter.operation) &&
          (filter.key === undefined ||
            entry.key === filter.key ||
            `${entry.bucket}/${entry.key}` === filter.key),
      ).length;
    },
    log,
    objects: store.objects,
    now: () => clock.now(),
    get clockOffsetMs() {
      return clock.offsetMs;
    },
    setClockOffset: (ms) => clock.setOffset(ms),
    stepClock: (byMs) => clock.setOffset(clock.offsetMs + byMs),
    stepClockAfter: (step) => {
      clockSteps.push({ ...step, seen: 0 });
    },
    setDateHeader: (mode) => {
      dateMode = mode;
    },
    setErrorStyle: (style) => {
      auth.errorStyle = style;
    },
    setFault: (fault, times) => {
      pendingFault = activeFault(fault, times);
    },
    resetCounts() {
      attempts = 0;
      log.length = 0;
      clockSteps.length = 0;
    },
    close,
    closed,
  };
}
