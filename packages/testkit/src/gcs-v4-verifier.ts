import { createHash, type KeyObject, verify } from "node:crypto";

/**
 * How far ahead of the server's clock `X-Goog-Date` may be before the URL is refused.
 * GCS does not document its window; 15 minutes is the SigV4 convention GCS's XML API
 * mirrors elsewhere.
 */
export const GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS = 15 * 60_000;

/** An XML API error as GCS renders it (`<Error><Code>…</Code>…</Error>`). */
export interface GcsXmlError {
  status: number;
  code: string;
  message: string;
  details?: string;
  parameterName?: string;
  stringToSign?: string;
  canonicalRequest?: string;
}

/** The parts of an HTTP request a V4 query-string signature covers. */
export interface SignedUrlRequest {
  method: string;
  /** The raw request-target, `/bucket/object?X-Goog-Algorithm=…`, percent-encoding intact. */
  target: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface SignedUrlVerifyOptions {
  /** The server's time, milliseconds since the epoch. */
  now: number;
  /** Public keys by service-account email. */
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** @default GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS */
  futureAllowanceMs?: number;
}

export type SignedUrlVerdict =
  | { ok: true; clientEmail: string; expiresAt: number; canonicalRequest: string }
  | { ok: false; error: GcsXmlError };

const MAX_EXPIRES_SECONDS = 604_800;
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.";

/** Whether a request carries a V4 query-string signature at all. */
export function hasV4QuerySignature(target: string): boolean {
  return /[?&]x-goog-algorithm=/i.test(target);
}

/**
 * Verifies a GOOG4-RSA-SHA256 signed URL the way GCS's XML API does: the time window first
 * (an expired URL answers `ExpiredToken` even when its signature is also wrong), then the
 * signature over the canonical request rebuilt from what actually arrived.
 */
export function verifyV4SignedUrl(
  request: SignedUrlRequest,
  options: SignedUrlVerifyOptions,
): SignedUrlVerdict {
  const [rawPath = "", rawQuery = ""] = splitOnce(request.target, "?");
  const params = parseQuery(rawQuery);
  if (!params) return fail(malformed("The query string is not valid percent-encoding.", "query"));
  const get = (name: string) =>
    params.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

  const algorithm = get("X-Goog-Algorithm");
  if (algorithm !== "GOOG4-RSA-SHA256") {
    return fail(malformed(`Unsupported algorithm: ${algorithm ?? ""}`, "X-Goog-Algorithm"));
  }
  for (const name of [
    "X-Goog-Credential",
    "X-Goog-Date",
    "X-Goog-Expires",
    "X-Goog-SignedHeaders",
    "X-Goog-Signature",
  ]) {
    if (get(name) === undefined) return fail(malformed("A required parameter is missing.", name));
  }
  const dateText = get("X-Goog-Date")!;
  const signedAt = parseBasicIsoDate(dateText);
  if (signedAt === undefined) return fail(malformed("Invalid X-Goog-Date.", "X-Goog-Date"));
  const expiresText = get("X-Goog-Expires")!;
  if (!/^\d{1,9}$/.test(expiresText)) {
    return fail(malformed("Invalid X-Goog-Expires.", "X-Goog-Expires"));
  }
  const expires = Number(expiresText);
  if (expires > MAX_EXPIRES_SECONDS) {
    return fail({
      status: 400,
      code: "InvalidArgument",
      message: "Invalid argument.",
      details: `Max allowed expiration interval is seven days ${MAX_EXPIRES_SECONDS}`,
    });
  }
  const credential = parseCredential(get("X-Goog-Credential")!, dateText);
  if (!credential) return fail(malformed("Invalid credential scope.", "X-Goog-Credential"));

  const expiresAt = signedAt + expires * 1000;
  if (options.now > expiresAt) {
    return fail({
      status: 400,
      code: "ExpiredToken",
      message: "Invalid argument.",
      details: `The provided token has expired. Request signature expired at: ${rfc3339Seconds(expiresAt)}`,
    });
  }
  const allowance = options.futureAllowanceMs ?? GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS;
  if (signedAt > options.now + allowance) {
    return fail({
      status: 400,
      code: "InvalidArgument",
      message: "Invalid argument.",
      details: `Request is not yet valid. X-Goog-Date ${dateText} is later than the current time.`,
    });
  }

  const signedHeaderNames = get("X-Goog-SignedHeaders")!.split(";");
  const headerLines: string[] = [];
  let hostIndex = -1;
  for (const name of signedHeaderNames) {
    const value = headerValue(request.headers, name);
    if (value === undefined) {
      return fail(malformed("Header was included in signedheaders, but not in the request.", name));
    }
    if (name === "host") hostIndex = headerLines.length;
    headerLines.push(`${name}:${value}`);
  }

  const canonicalQueryString = params
    .filter(([key]) => key.toLowerCase() !== "x-goog-signature")
    .map(([key, value]) => [strictEncode(key), strictEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  const payload = headerValue(request.headers, "x-goog-content-sha256");
  const candidates = hostCandidates(headerLines, hostIndex).map((lines) =>
    [
      request.method.toUpperCase(),
      canonicalPath(rawPath),
      canonicalQueryString,
      lines.map((line) => `${line}\n`).join(""),
      signedHeaderNames.join(";"),
      signedHeaderNames.includes("x-goog-content-sha256") && payload !== undefined
        ? payload
        : "UNSIGNED-PAYLOAD",
    ].join("\n"),
  );

  const signature = Buffer.from(get("X-Goog-Signature")!, "hex");
  const key = options.publicKeys.get(credential.email);
  const scope = credential.scope;
  const stringsToSign = candidates.map((canonicalRequest) =>
    ["GOOG4-RSA-SHA256", dateText, scope, sha256Hex(canonicalRequest)].join("\n"),
  );
  const match = key
    ? stringsToSign.findIndex((sts) => verify("sha256", Buffer.from(sts), key, signature))
    : -1;
  if (match < 0) {
    return fail({
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "Access denied.",
      details: SIGNATURE_MISMATCH,
      stringToSign: stringsToSign[0]!,
      canonicalRequest: candidates[0]!,
    });
  }
  return {
    ok: true,
    clientEmail: credential.email,
    expiresAt,
    canonicalRequest: candidates[match]!,
  };
}

function fail(error: GcsXmlError): SignedUrlVerdict {
  return { ok: false, error };
}

/** The shape GCS gives a bad `X-Goog-*` parameter or a signed header that did not arrive. */
function malformed(reason: string, parameterName: string): GcsXmlError {
  return {
    status: 400,
    code: "MalformedSecurityHeader",
    message: "Invalid argument.",
    details: `Your request has a malformed header. ${reason}`,
    parameterName,
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

/** `+` stays a plus: signed URLs encode a space as `%20`, never as `+`. */
function parseQuery(raw: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const [key, value] = splitOnce(part, "=");
    try {
      pairs.push([decodeURIComponent(key), decodeURIComponent(value)]);
    } catch {
      return undefined;
    }
  }
  return pairs;
}

function parseBasicIsoDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  // Date.UTC rolls 20190231 over to March; a real date formats back to itself.
  const back = new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return back === text ? ms : undefined;
}

function parseCredential(
  credential: string,
  dateText: string,
): { email: string; scope: string } | undefined {
  const parts = credential.split("/");
  if (parts.length !== 5) return undefined;
  const [email, day, , service, terminator] = parts;
  if (!email || day !== dateText.slice(0, 8) || service !== "storage") return undefined;
  if (terminator !== "goog4_request") return undefined;
  return { email, scope: parts.slice(1).join("/") };
}

function headerValue(headers: SignedUrlRequest["headers"], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const joined = typeof value === "string" ? value : value.join(",");
    return joined.trim().replace(/\s{2,}/g, " ");
  }
  return undefined;
}

/**
 * The Node.js client signs the host without its port; other signers keep it. A real GCS
 * endpoint never has a port, so a loopback fake accepts either form.
 */
function hostCandidates(lines: string[], hostIndex: number): string[][] {
  if (hostIndex < 0) return [lines];
  const host = lines[hostIndex]!.slice("host:".length);
  const bare = host.replace(/:\d*$/, "");
  if (bare === host) return [lines];
  const withBare = [...lines];
  withBare[hostIndex] = `host:${bare}`;
  return [withBare, lines];
}

/** Each segment decoded and re-encoded, so any equivalent spelling of the path verifies. */
function canonicalPath(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => {
      try {
        return strictEncode(decodeURIComponent(segment));
      } catch {
        return segment;
      }
    })
    .join("/");
}

function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
