import { findObjectLiterals, isObject, type Literal, readLiteral } from "./literal-reader.js";

/**
 * The HTTP exchange inside pasted text, in every form people paste it: `curl -i` (a status line,
 * headers, a blank line), `curl -v` (`> ` request and `< ` response lines), an SDK's wire dump
 * (Go's `SDK ... DEBUG Request`/`Response` blocks), a command line (`$ curl ...`) or log lines
 * before it, Python dicts (`Response headers: {...}`, botocore's `headers={...}`), lists of
 * tuples (gsutil), an Azure .NET `Headers:` block, and response objects printed by a program
 * (s3cmd's `{'data': ..., 'headers': ..., 'status': 403}`, Elixir's `%{headers: [...],
 * status_code: 403}`).
 */
export interface HttpTranscript {
  status?: number;
  /** Response headers, lower-case names; repeated headers joined with ", ". */
  responseHeaders: Record<string, string>;
  /** Request headers as sent, lower-case names. */
  requestHeaders: Record<string, string>;
  request?: { method: string; target: string };
  /** What was recognised, in words. */
  sources: string[];
}

const STATUS_LINE = /^HTTP\/[\d.]+ (\d{3})\b/;
const REQUEST_LINE = /^(GET|PUT|POST|HEAD|DELETE|PATCH|OPTIONS) (\S+) HTTP\/[\d.]+$/;
const HEADER_LINE = /^([A-Za-z0-9][A-Za-z0-9_-]{0,80}):[ \t]?(.*)$/;

/** Reads the exchange; fields stay empty when the text holds none. Never throws. */
export function readHttpTranscript(text: string): HttpTranscript {
  const out: HttpTranscript = { responseHeaders: {}, requestHeaders: {}, sources: [] };
  try {
    readLines(text, out);
    readPrintedHeaders(text, out);
    readResponseObjects(text, out);
  } catch {
    // What was read is kept.
  }
  return out;
}

type Side = "request" | "response";

function readLines(text: string, out: HttpTranscript): void {
  const lines = text.split("\n");
  let side: Side | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    const prefix = /^([<>]) ?/.exec(raw);
    const line = prefix ? raw.slice(prefix[0].length) : raw;
    const status = STATUS_LINE.exec(line);
    if (status && (!prefix || prefix[1] === "<")) {
      out.status = Number(status[1]);
      out.responseHeaders = {};
      side = "response";
      addSource(
        out,
        prefix ? "HTTP response (curl -v)" : "HTTP response (status line and headers)",
      );
      continue;
    }
    const request = REQUEST_LINE.exec(line);
    if (request && (!prefix || prefix[1] === ">")) {
      out.request = { method: request[1]!, target: request[2]! };
      out.requestHeaders = {};
      side = "request";
      addSource(out, prefix ? "HTTP request (curl -v)" : "HTTP request (wire log)");
      continue;
    }
    if (side === undefined) continue;
    const header = HEADER_LINE.exec(line);
    if (header && line.trim() !== "") {
      const target = side === "request" ? out.requestHeaders : out.responseHeaders;
      put(target, header[1]!, header[2]!.trim());
      continue;
    }
    // A blank line (a bare `<`/`>` from curl -v) or anything else ends the headers.
    side = undefined;
  }
}

/**
 * `Response headers: {...}` (botocore), `Response headers: [('a', 'b')]` (gsutil/boto),
 * `headers={...}` in botocore's `Sending http request: <AWSPreparedRequest ...>`, and the
 * `Headers:` block of an Azure .NET `RequestFailedException`.
 */
function readPrintedHeaders(text: string, out: HttpTranscript): void {
  for (const match of text.matchAll(/Response headers:\s*(?=[{[])/g)) {
    const read = readLiteral(text, match.index + match[0].length);
    if (read && mergeHeaders(out.responseHeaders, read.value)) {
      addSource(out, "response headers (debug log)");
    }
  }
  for (const match of text.matchAll(/Sending http request: <AWSPreparedRequest\b([^\n]*)/g)) {
    const line = match[1] ?? "";
    const method = /\bmethod=([A-Z]+)/.exec(line)?.[1];
    const url =
      /\burl=(\S+?),? (?:headers|stream_output)=/.exec(line)?.[1] ??
      /\burl=([^,\s]+)/.exec(line)?.[1];
    if (method && url) out.request = { method, target: url };
    const at = line.indexOf("headers={");
    if (at >= 0) {
      const read = readLiteral(line, at + "headers=".length);
      if (read && mergeHeaders(out.requestHeaders, read.value)) {
        addSource(out, "request headers (botocore debug log)");
      }
    }
  }
  const block = /^Headers:[ \t]*\n((?:[A-Za-z0-9-]+:[^\n]*\n?)+)/m.exec(text);
  if (block) {
    for (const line of block[1]!.split("\n")) {
      const header = HEADER_LINE.exec(line.trim());
      if (header) put(out.responseHeaders, header[1]!, header[2]!.trim());
    }
    addSource(out, "response headers (Headers: block)");
  }
}

/** A printed response object: a status and its headers (s3cmd, Elixir, gaxios-like). */
function readResponseObjects(text: string, out: HttpTranscript): void {
  if (out.status !== undefined && Object.keys(out.responseHeaders).length > 0) return;
  for (const object of findObjectLiterals(text)) {
    const response = findResponseObject(object, 0);
    if (!response) continue;
    const status = numberOf(
      response["status"] ?? response["status_code"] ?? response["statusCode"],
    );
    if (status !== undefined && out.status === undefined) out.status = status;
    if (mergeHeaders(out.responseHeaders, response["headers"])) {
      addSource(out, "response headers (printed response object)");
    }
    return;
  }
}

function findResponseObject(value: Literal, depth: number): Record<string, Literal> | undefined {
  if (!isObject(value) || depth > 4) return undefined;
  const hasStatus = ["status", "status_code", "statusCode"].some(
    (k) => numberOf(value[k]) !== undefined,
  );
  if (hasStatus && value["headers"] !== undefined) return value;
  for (const item of Object.values(value)) {
    const found = findResponseObject(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Headers as a dict, or as a list of name/value pairs; true when any was read. */
export function mergeHeaders(target: Record<string, string>, value: Literal): boolean {
  let read = false;
  if (isObject(value)) {
    for (const [name, item] of Object.entries(value)) {
      const text = headerValue(item);
      if (text !== undefined) {
        put(target, name, text);
        read = true;
      }
    }
  } else if (Array.isArray(value)) {
    for (const pair of value) {
      if (!Array.isArray(pair) || pair.length !== 2) continue;
      const [name, item] = pair;
      const text = headerValue(item);
      if (typeof name === "string" && text !== undefined) {
        put(target, name, text);
        read = true;
      }
    }
  }
  return read;
}

function headerValue(value: Literal): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function put(target: Record<string, string>, name: string, value: string): void {
  const key = name.toLowerCase();
  target[key] = target[key] === undefined ? value : `${target[key]}, ${value}`;
}

function numberOf(value: Literal): number | undefined {
  const n = typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

function addSource(out: HttpTranscript, source: string): void {
  if (!out.sources.includes(source)) out.sources.push(source);
}
