import {
  Agent,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AzureErrorResponse,
  authenticationFailed,
  azureError,
  azureTime,
  dateHeaderDetail,
  macMismatchDetail,
  sasTimeDetail,
} from "./azure-errors.js";
import { type AzureProxyFaults, RESET_DELAY_MS, faultyErrorBody } from "./azure-proxy-faults.js";
import { serviceStringToSign } from "./azure-string-to-sign.js";
import { type IdleTimer, startIdleTimer } from "./idle-timer.js";
import { type ServerClock, createServerClock, dateHeaders } from "./server-clock.js";

/**
 * A reverse proxy with its own clock in front of Azurite, enforcing what Azurite does not: the
 * 15-minute window on a SharedKey request's `x-ms-date` (or `Date`) and the `st`/`se` window of a
 * SAS, both with the service's real 403 shapes. Everything else goes to Azurite, which checks
 * the signatures themselves; its responses come back stamped with the proxy's clock, and its
 * bare `AuthorizationFailure` becomes the service's "MAC signature ... string to sign" detail.
 */

export interface AzureSkewProxyOptions {
  /** Origin of the Azurite blob endpoint, e.g. `http://127.0.0.1:10000`. */
  target: string;
  /**
   * Proxy clock = real clock + this offset; change it later with `setClockOffset`.
   * @default 0
   */
  clockOffsetMs?: number;
  /**
   * How far a SharedKey request's date may be from the proxy's clock (the service's is 15 minutes).
   * @default 900_000
   */
  allowedSkewMs?: number;
  /**
   * The account whose canonical resource the MAC detail quotes.
   * @default "devstoreaccount1"
   */
  accountName?: string;
  /**
   * The proxy stops by itself once no request has been in flight for this long; `0` never
   * (the same for every testkit server).
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * Misbehaviour for fault tests; change it later with `setFaults`.
   * @default {} (none)
   */
  faults?: AzureProxyFaults;
}

export interface AzureProxyLogEntry {
  method: string;
  /** The request path, without the query. */
  path: string;
  status: number;
  /** `x-ms-error-code` of an error response. */
  code?: string;
  /** The response's `x-ms-request-id`, which the client's error and events quote. */
  requestId?: string;
  /** The request carried a SAS (`sig` in the query). */
  sas: boolean;
  /** The proxy answered itself (its clock check, or a `cannedError`) rather than Azurite. */
  rejectedByProxy: boolean;
  /** Real-clock ms when the response was sent. */
  at: number;
  /** The request's `x-ms-date` (or `Date`): when the client says it signed. */
  requestDate?: string;
  /** A fault that cut the exchange short: no answer at all, or a reset after the headers. */
  fault?: "stall" | "reset-after-headers";
}

export interface AzureSkewProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly clock: ServerClock;
  /** Requests received since start (or the last `resetLog`). */
  readonly attempts: number;
  readonly log: readonly AzureProxyLogEntry[];
  setClockOffset(offsetMs: number): void;
  /** Replaces the faults in force (`{}` for none). */
  setFaults(faults: AzureProxyFaults): void;
  resetLog(): void;
  close(): Promise<void>;
  /** Resolves when the proxy has stopped, by `close()` or by idling out. */
  readonly closed: Promise<void>;
}

const DEFAULT_ALLOWED_SKEW_MS = 15 * 60_000;

export async function startAzureSkewProxy(options: AzureSkewProxyOptions): Promise<AzureSkewProxy> {
  const target = new URL(options.target);
  const clock = createServerClock(options.clockOffsetMs ?? 0);
  const allowedSkewMs = options.allowedSkewMs ?? DEFAULT_ALLOWED_SKEW_MS;
  const accountName = options.accountName ?? "devstoreaccount1";
  const agent = new Agent({ keepAlive: true });
  const log: AzureProxyLogEntry[] = [];
  let attempts = 0;
  let faults: AzureProxyFaults = options.faults ?? {};

  const record = (
    req: IncomingMessage,
    status: number,
    code: string | undefined,
    requestId: string | undefined,
    rejected: boolean,
    fault?: AzureProxyLogEntry["fault"],
  ) => {
    const url = new URL(req.url ?? "/", "http://proxy.invalid");
    const requestDate = single(req.headers["x-ms-date"]) ?? single(req.headers.date);
    log.push({
      method: req.method ?? "GET",
      path: url.pathname,
      status,
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
      sas: url.searchParams.has("sig"),
      rejectedByProxy: rejected,
      at: Date.now(),
      ...(requestDate ? { requestDate } : {}),
      ...(fault ? { fault } : {}),
    });
  };

  /** The server time error bodies state (`Time:`), which a fault may move off the clock. */
  const bodyTime = () => clock.now() + (faults.bodyTimeShiftMs ?? 0);

  /**
   * Every answer leaves through here: stamped with the proxy's `Date` (as the fault says), the
   * error body as the fault delivers it, or the connection reset after the headers.
   */
  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: OutgoingHttpHeaders,
    body: string | IncomingMessage,
    rejected: boolean,
  ) => {
    const isError = status >= 400;
    const code = single(headers["x-ms-error-code"] as string | string[] | undefined);
    const requestId = single(headers["x-ms-request-id"] as string | string[] | undefined);
    const out: OutgoingHttpHeaders = { ...headers };
    delete out.date;
    const stamped = clock.now() + (faults.dateShiftMs ?? 0);
    for (const [name, value] of dateHeaders(faults.dateHeader ?? "normal", stamped, isError)) {
      out[name.toLowerCase()] = value;
    }
    let content = body;
    if (typeof content === "string" && isError) {
      content = faultyErrorBody(content, faults.errorBody);
      out["content-length"] = String(Buffer.byteLength(content));
      delete out["transfer-encoding"];
    }
    res.sendDate = false;
    res.writeHead(status, out);
    const reset =
      faults.resetAfterHeaders === "all" || (faults.resetAfterHeaders === "errors" && isError);
    if (reset) {
      if (typeof content !== "string") content.destroy();
      res.flushHeaders();
      const timer = setTimeout(() => req.socket.resetAndDestroy(), RESET_DELAY_MS);
      timer.unref();
      record(req, status, code, requestId, rejected, "reset-after-headers");
      return;
    }
    if (typeof content === "string") {
      res.end(content);
      record(req, status, code, requestId, rejected);
      return;
    }
    content.pipe(res);
    res.on("finish", () => record(req, status, code, requestId, rejected));
  };

  const reject = async (req: IncomingMessage, res: ServerResponse, error: AzureErrorResponse) => {
    // Read the body first: a client still writing an upload would otherwise see a reset.
    await drain(req);
    respond(req, res, error.status, error.headers, error.body, true);
  };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest(
      new URL(req.url ?? "/", target),
      { method: req.method, headers: req.headers, agent },
      (response) => void relay(req, res, response),
    );
    upstream.on("error", () => {
      if (res.headersSent) res.destroy();
      else respond(req, res, 502, {}, "", false);
    });
    req.pipe(upstream);
  };

  const relay = async (req: IncomingMessage, res: ServerResponse, response: IncomingMessage) => {
    const status = response.statusCode ?? 502;
    const headers = { ...response.headers };
    const code = single(response.headers["x-ms-error-code"]);
    if (status === 403 && code === "AuthorizationFailure" && isSharedKey(req)) {
      await drain(response);
      const detail = macMismatchDetail(
        signatureOf(req),
        serviceStringToSign(req.method ?? "GET", req.url ?? "/", req.headers, accountName),
      );
      const error = authenticationFailed(bodyTime(), detail, req.method ?? "GET");
      respond(req, res, error.status, error.headers, error.body, false);
      return;
    }
    if (status >= 400 && req.method !== "HEAD") {
      // Azurite writes its own (real) clock into `Time:`; the proxy's clock is the server's.
      const body = (await readAll(response)).replace(
        /Time:\d{4}-\d\d-\d\dT[\d:.]+Z/g,
        `Time:${azureTime(bodyTime())}`,
      );
      respond(req, res, status, headers, body, false);
      return;
    }
    respond(req, res, status, headers, response, false);
  };

  let idle: IdleTimer | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    attempts++;
    // In flight until the exchange ends, however it ends (answered, reset, or given up on).
    const done = idle?.enter();
    if (done) res.once("close", done);
    if (faults.clockStepPerRequestMs)
      clock.setOffset(clock.offsetMs + faults.clockStepPerRequestMs);
    if (faults.stall) {
      // Held until the client gives up or the proxy closes; counted, never answered. As in
      // the S3 server, a held request does not keep the proxy from idling out.
      done?.();
      record(req, 0, undefined, undefined, true, "stall");
      return;
    }
    const error = clockCheck(req, clock.now(), allowedSkewMs, faults.bodyTimeShiftMs ?? 0);
    if (error) void reject(req, res, error);
    else if (faults.cannedError)
      void reject(req, res, azureError(bodyTime(), faults.cannedError, req.method ?? "GET"));
    else forward(req, res);
  };

  const server = createServer({ keepAliveTimeout: 5_000 }, handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  function close(): Promise<void> {
    if (closing) return closing;
    idle?.stop();
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }).then(resolveClosed);
    return closing;
  }
  idle = startIdleTimer(options.idleTimeoutMs ?? 60_000, () => void close());

  return {
    origin: `http://127.0.0.1:${port}`,
    clock,
    get attempts() {
      return attempts;
    },
    log,
    setClockOffset: (offsetMs) => clock.setOffset(offsetMs),
    setFaults: (next) => {
      faults = next;
    },
    resetLog: () => {
      attempts = 0;
      log.length = 0;
    },
    close,
    closed,
  };
}

/** The service's answer to a request signed outside its time window, or undefined to forward. */
export function clockCheck(
  req: Pick<IncomingMessage, "url" | "headers" | "method">,
  nowMs: number,
  allowedSkewMs: number,
  bodyTimeShiftMs = 0,
): AzureErrorResponse | undefined {
  const method = req.method ?? "GET";
  const query = new URL(req.url ?? "/", "http://proxy.invalid").searchParams;
  if (query.has("sig")) {
    const start = parseTime(query.get("st"));
    const expiry = parseTime(query.get("se"));
    const early = start !== undefined && nowMs < start;
    const late = expiry !== undefined && nowMs > expiry;
    if (!early && !late) return undefined;
    return authenticationFailed(
      nowMs + bodyTimeShiftMs,
      sasTimeDetail(start, expiry, nowMs + bodyTimeShiftMs),
      method,
    );
  }
  if (!req.headers.authorization) return undefined;
  const requestDate = single(req.headers["x-ms-date"]) ?? single(req.headers.date);
  const signedAt = parseTime(requestDate ?? null);
  if (requestDate === undefined || signedAt === undefined) return undefined;
  if (Math.abs(nowMs - signedAt) <= allowedSkewMs) return undefined;
  return authenticationFailed(
    nowMs + bodyTimeShiftMs,
    dateHeaderDetail(requestDate, signedAt < nowMs),
    method,
  );
}

function parseTime(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isSharedKey(req: IncomingMessage): boolean {
  return /^SharedKey(Lite)? /i.test(req.headers.authorization ?? "");
}

/** The signature part of `SharedKey account:signature`, as the service quotes it back. */
function signatureOf(req: IncomingMessage): string {
  const value = req.headers.authorization ?? "";
  return value.slice(value.indexOf(":") + 1);
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function drain(stream: IncomingMessage): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}
