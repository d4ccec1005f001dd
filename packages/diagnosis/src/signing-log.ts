import { parseHttpDate } from "./http-date.js";
import { parseAmzDate } from "./signing-diff.js";

/**
 * What the client signed, as its own debug output shows it: the canonical request and string to
 * sign that botocore (`CanonicalRequest:` / `StringToSign:`), the AWS CLI's `--debug`, the Java
 * SDK (`AWS4 Canonical Request:` / `AWS4 String to sign:`), the Go SDK v1 (`---[ CANONICAL
 * STRING ]---`), gsutil/boto and s3cmd (`Canonical Request:`) log, and a script's own
 * `StringToSign:` printout (Azure SharedKey); the `Authorization` header (algorithm, key id,
 * scope, signed headers); the request's `X-Amz-Date`/`x-ms-date`; whether a session token
 * went with it. Read by structure (a SigV4 string to sign is four lines; a canonical request
 * ends with its signed-header list and payload hash), so the log lines around do not leak in.
 */
export interface SigningLog {
  canonicalRequest?: string;
  stringToSign?: string;
  algorithm?: string;
  accessKeyId?: string;
  scopeDate?: string;
  region?: string;
  service?: string;
  signedHeaders?: string[];
  /** The request's `X-Amz-Date` (or `x-ms-date`), ms since the epoch. */
  requestTimeMs?: number;
  /** A session token went with the request: `x-amz-security-token` header or query parameter. */
  sessionToken?: boolean;
  /** The line (0-based) on which the signing was logged, for the log's clock. */
  signingLine?: number;
  sources: string[];
}

const CANONICAL_MARKERS = [
  /CanonicalRequest:[ \t]*$/m,
  /Canonical Request:[ \t]*$/m,
  /AWS4 Canonical Request: /,
  /---\[ CANONICAL STRING\s*\]-*\n/,
];
const STRING_TO_SIGN_MARKERS = [
  /StringToSign:[ \t]*$/m,
  /String to sign:[ \t]*$/im,
  /AWS4 String to sign: /,
  /---\[ STRING TO SIGN\s*\]-*\n/,
];

const METHOD = /^(GET|PUT|POST|HEAD|DELETE|PATCH|OPTIONS)$/;
const V4_ALGORITHM = /^(?:AWS4|GOOG4)-[A-Z0-9-]+$/;

/** Reads the client's signing facts from `text`. Never throws. */
export function readSigningLog(text: string): SigningLog {
  const out: SigningLog = { sources: [] };
  try {
    readCanonical(text, out);
    readStringToSign(text, out);
    readAuthorization(text, out);
    readRequestTime(text, out);
    if (/x-amz-security-token/i.test(text)) out.sessionToken = true;
  } catch {
    // What was read is kept.
  }
  return out;
}

function after(text: string, marker: RegExp): { rest: string; at: number } | undefined {
  const m = marker.exec(text);
  if (!m) return undefined;
  let start = m.index + m[0].length;
  if (text[start] === "\n") start++;
  return { rest: text.slice(start, start + 32 * 1024), at: m.index };
}

function lineOf(text: string, index: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function readCanonical(text: string, out: SigningLog): void {
  for (const marker of CANONICAL_MARKERS) {
    const found = after(text, marker);
    const canonical = found && canonicalRequestAt(found.rest.split("\n"));
    if (found && canonical) {
      out.canonicalRequest = canonical;
      out.signingLine ??= lineOf(text, found.at);
      out.sources.push("client canonical request (debug log)");
      return;
    }
  }
}

/**
 * A SigV4 canonical request from its first line: method, path, query, `name:value` headers up to
 * a blank line, the signed-header list, the payload hash.
 */
export function canonicalRequestAt(lines: readonly string[]): string | undefined {
  const trimmed = lines.map((l) => l.replace(/\r$/, ""));
  if (!METHOD.test(trimmed[0] ?? "") || !(trimmed[1] ?? "").startsWith("/")) return undefined;
  let i = 3;
  while (i < trimmed.length && /^[a-z0-9-]+:/.test(trimmed[i]!)) i++;
  if (trimmed[i] !== "") return undefined;
  const signed = trimmed[i + 1] ?? "";
  const payload = trimmed[i + 2] ?? "";
  if (
    !/^[a-z0-9;-]+$/.test(signed) ||
    !/^(?:[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[\w-]+)$/.test(payload)
  ) {
    return undefined;
  }
  return trimmed.slice(0, i + 3).join("\n");
}

function readStringToSign(text: string, out: SigningLog): void {
  for (const marker of STRING_TO_SIGN_MARKERS) {
    const found = after(text, marker);
    if (!found) continue;
    const lines = found.rest.split("\n").map((l) => l.replace(/\r$/, ""));
    const sts = v4StringToSign(lines) ?? sharedKeyStringToSign(lines);
    if (sts) {
      out.stringToSign = sts;
      out.signingLine ??= lineOf(text, found.at);
      out.sources.push("client string-to-sign (debug log)");
      return;
    }
  }
}

function v4StringToSign(lines: readonly string[]): string | undefined {
  const [algorithm = "", date = "", scope = "", hash = ""] = lines;
  if (!V4_ALGORITHM.test(algorithm) || !/^\d{8}T\d{6}Z$/.test(date)) return undefined;
  if (!/^\d{8}\/[^/]+\/[^/]+\/\w+$/.test(scope) || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
  return [algorithm, date, scope, hash].join("\n");
}

/**
 * An Azure SharedKey (or S3 SigV2) string to sign: the verb, the fixed header lines, the
 * canonicalized `x-ms-`/`x-amz-` headers, the resource (`/account/...`) and its `name:value`
 * query lines, ending at the first line that is none of these.
 */
function sharedKeyStringToSign(lines: readonly string[]): string | undefined {
  if (!METHOD.test(lines[0] ?? "")) return undefined;
  let i = 1;
  let resource = -1;
  for (; i < Math.min(lines.length, 64); i++) {
    const line = lines[i]!;
    if (resource < 0) {
      if (line.startsWith("/")) resource = i;
      continue;
    }
    if (!/^[\w-]+:/.test(line)) break;
  }
  if (resource < 0) return undefined;
  return lines.slice(0, i).join("\n");
}

const AUTHORIZATION =
  /\b((?:AWS4|GOOG4)-HMAC-SHA256) ?Credential=([^/\s,'"]*)\/(\d{8})\/([^/\s,'"]+)\/([^/\s,'"]+)\/(?:aws4|goog4)_request(?:[^\n]*?SignedHeaders=([a-z0-9;-]+))?/i;

function readAuthorization(text: string, out: SigningLog): void {
  const m = AUTHORIZATION.exec(text);
  if (m) {
    out.algorithm = m[1]!.toUpperCase();
    if (m[2]) out.accessKeyId = m[2];
    out.scopeDate = m[3]!;
    out.region = m[4]!;
    out.service = m[5]!;
    if (m[6]) out.signedHeaders = m[6].split(";");
    out.sources.push("Authorization header (algorithm, key id, scope)");
    return;
  }
  const v2 = /Authorization['"]?\s*[:=]\s*b?['"]?AWS ([A-Z0-9]{16,128}):/.exec(text);
  if (v2) {
    out.algorithm = "AWS (SigV2)";
    out.accessKeyId = v2[1]!;
    out.sources.push("Authorization header (SigV2)");
  }
}

/** `x-amz-date: 20261207T091204Z`, `'X-Amz-Date': b'...'`, `x-ms-date:Mon, 07 Dec 2026 ...`. */
function readRequestTime(text: string, out: SigningLog): void {
  const amz = /x-amz-date['"]?\s*[:=]\s*b?['"]?(\d{8}T\d{6}Z)/i.exec(text);
  const fromAmz = parseAmzDate(amz?.[1]);
  if (fromAmz !== undefined) {
    out.requestTimeMs = fromAmz;
    return;
  }
  const ms =
    /x-ms-date['"]?\s*[:=]\s*['"]?([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)/i.exec(
      text,
    );
  const fromMs = parseHttpDate(ms?.[1]);
  if (fromMs !== undefined) out.requestTimeMs = fromMs;
}
