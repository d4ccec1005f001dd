import { randomUUID } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AwsProtocol,
  type AwsServiceAnswer,
  type AwsServiceError,
  type QueryTimeError,
  errorAnswer,
  invalidSignature,
  missingAuthentication,
  signatureMismatch,
  signatureTimeComplaint,
  signatureTimeError,
  unknownAccessKey,
} from "./aws-service-errors.js";
import {
  type AwsServiceStores,
  type AwsTarget,
  type DynamoItem,
  runAwsOperation,
  targetOf,
} from "./aws-service-operations.js";
import { DEFAULT_CREDENTIALS } from "./s3-server.js";
import { type DateHeaderMode, createServerClock, dateHeaders } from "./server-clock.js";
import {
  type RawHeader,
  SIGV4_ALGORITHM,
  canonicalRequest,
  credentialScopeString,
  parseAmzDate,
  parseAuthorizationHeader,
  parseCredential,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
} from "./sigv4.js";

/**
 * A loopback endpoint for the AWS services that are not S3, with its own clock, that verifies
 * SigV4 for real and refuses skewed requests the way those services do: the JSON protocols
 * (DynamoDB and SQS on awsJson1_0, any awsJson1_1 service) and the Query protocol (STS). Point
 * any AWS SDK client at it with `endpoint: server.url`; one endpoint serves every service, told
 * apart by `X-Amz-Target` or the form's `Action` and `Version`.
 */

export interface AwsServiceTestServerOptions {
  /**
   * Server clock = real clock + this offset; change it later with `setClockOffset`.
   * @default 0
   */
  clockOffsetMs?: number;
  /**
   * How far a request's signing time may be from the server's clock, either way. The JSON
   * services' front end allows 5 minutes ("... - 5 min."); some services answer with 15.
   * @default 300_000
   */
  allowedSkewMs?: number;
  /**
   * How an awsQuery service (STS) refuses a stale or future signature: `SignatureDoesNotMatch`
   * (403) with "Signature expired: ..." / "Signature not yet current: ...", or `RequestExpired`
   * (400) with EC2's bare "Request has expired.", whose only clock is the `Date` header.
   * @default "SignatureDoesNotMatch"
   */
  queryTimeError?: QueryTimeError;
  /**
   * Access key id -> secret.
   * @default DEFAULT_CREDENTIALS (`AKIDEXAMPLE`)
   */
  credentials?: Record<string, string>;
  /**
   * The region credential scopes must name.
   * @default "us-east-1"
   */
  region?: string;
  /**
   * DynamoDB tables' key attribute names; any other table exists with key `["id"]`.
   * @default {}
   */
  dynamoKeys?: Record<string, string[]>;
  /**
   * Fault mode of the `Date` response header; see `DateHeaderMode`.
   * @default "normal"
   */
  dateHeader?: DateHeaderMode;
  /**
   * The server stops by itself after this long without a request; 0 never.
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * Keep the Node.js process alive while the server runs (a demo serving other processes).
   * @default false
   */
  keepProcessAlive?: boolean;
}

export interface AwsServiceLogEntry {
  /** The signing name the target implies (`dynamodb`, `sqs`, `sts`), when known. */
  service?: string;
  protocol?: AwsProtocol;
  /** The operation asked for, e.g. `GetItem`, whether it was answered or refused. */
  operation?: string;
  status: number;
  /** The error code, for error responses. */
  code?: string;
  /** `X-Amz-Date` as sent. */
  signedAt?: string;
  /** `attempt=N` from the AWS SDK's `amz-sdk-request` header. */
  sdkAttempt?: number;
  /** Real-clock milliseconds when the response was sent. */
  at: number;
}

export interface AwsServiceTestServer {
  url: string;
  host: string;
  port: number;
  /** Every request received, counted on arrival. */
  readonly attempts: number;
  /** Completed requests matching the filter. */
  attemptsBy(filter?: { service?: string; operation?: string; status?: number }): number;
  readonly log: AwsServiceLogEntry[];
  /** DynamoDB tables and SQS queues; tests may read and seed them. */
  readonly tables: Map<string, DynamoItem[]>;
  readonly queues: Map<string, string[]>;
  /** The server's current time in milliseconds. */
  now(): number;
  /** Server clock minus the real one. */
  readonly clockOffsetMs: number;
  setClockOffset(ms: number): void;
  /** Moves the server clock by `byMs` now (an NTP step on the server's side). */
  stepClock(byMs: number): void;
  setDateHeader(mode: DateHeaderMode): void;
  resetCounts(): void;
  close(): Promise<void>;
  /** Resolves when the server has stopped, by `close()` or by idling out. */
  readonly closed: Promise<void>;
}

interface AuthOptions {
  credentials: Readonly<Record<string, string>>;
  region: string;
  allowedSkewMs: number;
  queryTimeError: QueryTimeError;
}

interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: readonly RawHeader[];
  body: Buffer;
}

type AuthResult = { ok: true; accessKeyId: string } | { ok: false; error: AwsServiceError };

function firstHeader(headers: readonly RawHeader[], name: string): string | undefined {
  return headers.find(([candidate]) => candidate.toLowerCase() === name)?.[1];
}

/** SigV4 as the services check it: scope first, then the time window, then the signature. */
function authenticate(
  request: SignedRequest,
  target: AwsTarget,
  nowMs: number,
  options: AuthOptions,
): AuthResult {
  const { protocol } = target;
  const fail = (error: AwsServiceError): AuthResult => ({ ok: false, error });
  const authorization = firstHeader(request.headers, "authorization");
  if (authorization === undefined) return fail(missingAuthentication(protocol));
  const incomplete = (message: string) =>
    fail({
      status: 400,
      code: protocol === "awsQuery" ? "IncompleteSignature" : "IncompleteSignatureException",
      message,
    });
  if (!authorization.startsWith(`${SIGV4_ALGORITHM} `)) {
    return incomplete(`Unsupported AWS 'algorithm': '${authorization.split(" ", 1)[0]}'.`);
  }
  const parsed = parseAuthorizationHeader(authorization);
  if (typeof parsed === "string") return incomplete(`Authorization header is invalid: ${parsed}.`);
  const credential = parseCredential(parsed.credential);
  if (!credential) return incomplete("Authorization header requires a valid 'Credential'.");
  const secret = options.credentials[credential.accessKeyId];
  if (secret === undefined) return fail(unknownAccessKey(protocol));
  const amzDate = firstHeader(request.headers, "x-amz-date")?.trim();
  const signedAtMs = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signedAtMs === undefined) {
    return incomplete(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    return fail(
      invalidSignature(
        protocol,
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${credential.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      ),
    );
  }
  if (credential.region !== options.region) {
    return fail(invalidSignature(protocol, "Credential should be scoped to a valid region. "));
  }
  if (target.service !== undefined && credential.service !== target.service) {
    return fail(
      invalidSignature(
        protocol,
        `Credential should be scoped to correct service: '${target.service}'. `,
      ),
    );
  }
  if (credential.terminator !== "aws4_request") {
    return fail(
      invalidSignature(
        protocol,
        "Credential should be scoped with a valid terminator: 'aws4_request'. ",
      ),
    );
  }
  // The window before the signature, as the services do: a stale request is refused for its
  // time even when its signature is right.
  const complaint = signatureTimeComplaint(signedAtMs, nowMs, options.allowedSkewMs);
  if (complaint !== undefined) {
    return fail(signatureTimeError(protocol, complaint, options.queryTimeError));
  }
  const canonical = canonicalRequest({
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash: sha256Hex(request.body),
    // Every service but S3 signs the normalised path.
    normalizePath: true,
  });
  const toSign = stringToSign(amzDate, credentialScopeString(credential), canonical);
  if (signature(signingKey(secret, credential), toSign) !== parsed.signature) {
    return fail(signatureMismatch(protocol, canonical, toSign));
  }
  return { ok: true, accessKeyId: credential.accessKeyId };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function rawHeaderPairs(raw: readonly string[]): RawHeader[] {
  const pairs: RawHeader[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

export async function startAwsServiceTestServer(
  options: AwsServiceTestServerOptions = {},
): Promise<AwsServiceTestServer> {
  // Read through `Date.now` at each call, so that a test faking `Date` moves this clock too.
  const clock = createServerClock(options.clockOffsetMs ?? 0, () => Date.now());
  const auth: AuthOptions = {
    credentials: options.credentials ?? DEFAULT_CREDENTIALS,
    region: options.region ?? "us-east-1",
    allowedSkewMs: options.allowedSkewMs ?? 5 * 60_000,
    queryTimeError: options.queryTimeError ?? "SignatureDoesNotMatch",
  };
  const dynamoKeys = options.dynamoKeys ?? {};
  const stores: AwsServiceStores = { tables: new Map(), queues: new Map() };
  let dateMode: DateHeaderMode = options.dateHeader ?? "normal";
  const log: AwsServiceLogEntry[] = [];
  let attempts = 0;
  let inFlight = 0;
  let port = 0;

  function send(
    res: ServerResponse,
    answer: AwsServiceAnswer,
    requestId: string,
    entry: Omit<AwsServiceLogEntry, "status" | "at">,
    code?: string,
  ): void {
    res.sendDate = false;
    res.setHeader("x-amzn-RequestId", requestId);
    for (const [name, value] of dateHeaders(dateMode, clock.now(), answer.status >= 400)) {
      res.setHeader(name, value);
    }
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    res.setHeader("Content-Length", Buffer.byteLength(answer.body));
    res.writeHead(answer.status);
    res.end(answer.body);
    log.push({ ...entry, status: answer.status, ...(code ? { code } : {}), at: Date.now() });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const headers = rawHeaderPairs(req.rawHeaders);
    const body = await readBody(req);
    const requestId = randomUUID();
    const signedAt = firstHeader(headers, "x-amz-date");
    const attempt = /attempt=(\d+)/.exec(firstHeader(headers, "amz-sdk-request") ?? "");
    const target = targetOf((name) => firstHeader(headers, name), body);
    const entry: Omit<AwsServiceLogEntry, "status" | "at"> = {
      ...(target?.service ? { service: target.service } : {}),
      ...(target ? { protocol: target.protocol, operation: target.operation } : {}),
      ...(signedAt === undefined ? {} : { signedAt }),
      ...(attempt ? { sdkAttempt: Number(attempt[1]) } : {}),
    };
    const refuse = (error: AwsServiceError, protocol: AwsProtocol) =>
      send(
        res,
        errorAnswer(error, {
          protocol,
          requestId,
          ...(target?.queryCompatible ? { queryCompatible: true } : {}),
        }),
        requestId,
        entry,
        error.code,
      );
    if (!target) {
      refuse(
        {
          status: 400,
          code: "UnknownOperationException",
          message: "Missing X-Amz-Target or Action",
        },
        "awsJson1_0",
      );
      return;
    }
    const authResult = authenticate(
      {
        method: (req.method ?? "POST").toUpperCase(),
        path: queryAt < 0 ? url : url.slice(0, queryAt),
        query: queryAt < 0 ? "" : url.slice(queryAt + 1),
        headers,
        body,
      },
      target,
      clock.now(),
      auth,
    );
    if (!authResult.ok) {
      refuse(authResult.error, target.protocol);
      return;
    }
    const result = runAwsOperation(target, body, stores, {
      url: `http://127.0.0.1:${port}`,
      dynamoKeys,
      accessKeyId: authResult.accessKeyId,
      requestId,
    });
    if (!result.ok) refuse(result.error, target.protocol);
    else send(res, result.answer, requestId, entry);
  }

  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let idleTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const server = createServer({ keepAliveTimeout: 5_000 });

  function armIdle(): void {
    if (idleTimer) clearTimeout(idleTimer);
    if (idleTimeoutMs <= 0 || closing) return;
    idleTimer = setTimeout(() => {
      if (inFlight > 0) armIdle();
      else void close();
    }, idleTimeoutMs);
    if (!options.keepProcessAlive) idleTimer.unref();
  }

  function close(): Promise<void> {
    if (closing) return closing;
    if (idleTimer) clearTimeout(idleTimer);
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(resolveClosed);
    return closing;
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    attempts++;
    inFlight++;
    armIdle();
    handle(req, res)
      .catch((error: unknown) => {
        if (res.headersSent) return;
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`internal error: ${String(error)}`);
      })
      .finally(() => {
        inFlight--;
        armIdle();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (!options.keepProcessAlive) server.unref();
  armIdle();
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
          (filter.service === undefined || entry.service === filter.service) &&
          (filter.operation === undefined || entry.operation === filter.operation) &&
          (filter.status === undefined || entry.status === filter.status),
      ).length;
    },
    log,
    tables: stores.tables,
    queues: stores.queues,
    now: () => clock.now(),
    get clockOffsetMs() {
      return clock.offsetMs;
    },
    setClockOffset: (ms) => clock.setOffset(ms),
    stepClock: (byMs) => clock.setOffset(clock.offsetMs + byMs),
    setDateHeader: (mode) => {
      dateMode = mode;
    },
    resetCounts: () => {
      attempts = 0;
      log.length = 0;
    },
    close,
    closed,
  };
}
