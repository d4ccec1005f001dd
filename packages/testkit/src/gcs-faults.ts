import type { IncomingMessage, ServerResponse } from "node:http";
import { type DateHeaderMode, dateHeaders } from "./server-clock.js";

/** The fake's three endpoints, as `GcsRequestCounts` names them. */
export type GcsEndpoint = "token" | "json" | "xml";

/**
 * What an endpoint of the GCS fake does wrong, for fault suites:
 * - `date`: every answer carries the `Date` of `mode` (missing, malformed, duplicated, 2099, ...).
 * - `refuse-grants` (token endpoint): every grant is refused for its times, whatever its `iat`,
 *   with the server's current `Date`: fresh evidence each time, and never a token.
 * - `huge-body`: error answers (status 400 and up) are padded to `bytes` (a proxy's error
 *   page); a JSON document stays valid, with a `padding` member last.
 * - `truncated-body`: the body is cut in half, `Content-Length` matching the cut: a complete
 *   HTTP answer whose JSON or XML document ends mid-way.
 * - `reset-after-headers`: the headers (with the full `Content-Length`) and half the body go
 *   out, then the connection is destroyed.
 * - `stall`: the request is read and never answered (until the server closes).
 * - `drop-upload` (JSON API): a resumable upload `PUT` to a session URI loses its connection
 *   once `afterBytes` of its body have arrived: no answer, the socket is reset. What arrived
 *   is persisted as GCS persists an interrupted chunk (whole 256 KiB), so a status query
 *   tells the client where to resume. The first `times` such `PUT`s are dropped (default 1),
 *   later ones behave; a `PUT` whose body is shorter than `afterBytes` is not dropped.
 */
export type GcsFault =
  | { kind: "date"; mode: DateHeaderMode }
  | { kind: "refuse-grants" }
  | { kind: "huge-body"; bytes: number }
  | { kind: "truncated-body" }
  | { kind: "reset-after-headers" }
  | { kind: "stall" }
  | { kind: "drop-upload"; afterBytes: number; times?: number };

/** Faults by endpoint; an endpoint without one behaves. */
export type GcsFaults = Partial<Record<GcsEndpoint, GcsFault>>;

/** What a route answers, before it is written out. */
export interface GcsReply {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/**
 * Writes a reply with the server's `Date`, bent by `fault` when there is one. Returns without
 * writing for a stall: the socket stays open until the server closes it.
 */
export function writeReply(
  req: IncomingMessage,
  res: ServerResponse,
  reply: GcsReply,
  serverNowMs: number,
  fault: GcsFault | undefined,
): void {
  if (fault?.kind === "stall") return;
  const isError = reply.status >= 400;
  const mode = fault?.kind === "date" ? fault.mode : "normal";
  let body = req.method === "HEAD" ? undefined : toBuffer(reply.body);
  if (fault?.kind === "huge-body" && isError && body) body = padded(body, fault.bytes);
  if (fault?.kind === "truncated-body" && body) body = body.subarray(0, body.length >> 1);
  const headers: Record<string, string | string[]> = { ...reply.headers };
  if (body && headers["Content-Length"] !== undefined) {
    headers["Content-Length"] = String(body.length);
  }
  for (const [name, value] of dateHeaders(mode, serverNowMs, isError)) headers[name] = value;
  // Node would add a Date of the real clock: the fake's own (or none, or a broken one) only.
  res.sendDate = false;
  res.writeHead(reply.status, headers);
  if (fault?.kind === "reset-after-headers") {
    res.flushHeaders();
    if (body) res.write(body.subarray(0, body.length >> 1));
    // Let the partial body leave, then reset (RST) rather than close: the client sees
    // ECONNRESET mid-body, as when a load balancer drops the connection.
    setImmediate(() => (res.socket ? res.socket.resetAndDestroy() : res.destroy()));
    return;
  }
  res.end(body);
}

function toBuffer(body: Buffer | string | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === "string" ? Buffer.from(body) : body;
}

/** `body` grown to `bytes`: inside a JSON object as its last member, else appended. */
function padded(body: Buffer, bytes: number): Buffer {
  const missing = bytes - body.length;
  if (missing <= 0) return body;
  const text = body.toString("utf8");
  if (text.startsWith("{") && text.endsWith("}")) {
    const member = ',"padding":""}';
    const fill = Math.max(0, missing - member.length + 1);
    return Buffer.concat([
      Buffer.from(`${text.slice(0, -1)},"padding":"`),
      Buffer.alloc(fill, "x"),
      Buffer.from('"}'),
    ]);
  }
  return Buffer.concat([body, Buffer.alloc(missing, " ")]);
}
