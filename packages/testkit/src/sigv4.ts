import { createHash, createHmac } from "node:crypto";

/**
 * AWS Signature Version 4, as a verifier needs it: canonical request, string to sign, signing
 * key and signature, plus parsing of the two places a client puts its signature (the
 * `Authorization` header and a presigned URL's query).
 *
 * Everything here is pure and works on the request as it arrived on the wire (raw path, raw
 * query, every header occurrence in order), because a verifier must reproduce what the client
 * signed, not what a framework normalised it into.
 */

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const STREAMING_SIGNED_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/** A header as it arrived: name in any case, value untouched; repeated names stay repeated. */
export type RawHeader = readonly [name: string, value: string];

export interface CanonicalRequestInput {
  method: string;
  /** The path exactly as sent (percent-encoded or not). */
  path: string;
  /** The query string exactly as sent, without the leading `?`. */
  query: string;
  headers: readonly RawHeader[];
  /** Lower-case names, in the order the client listed them. */
  signedHeaders: readonly string[];
  payloadHash: string;
  /**
   * Remove `.`/`..` segments and repeated slashes, as every AWS service except S3 does.
   * @default false (S3 signs the path as it is)
   */
  normalizePath?: boolean;
  /** Query parameter names left out of the canonical query (a presigned URL's own signature). */
  excludeQuery?: readonly string[];
}

export interface CredentialScope {
  date: string;
  region: string;
  service: string;
}

const HEX = "0123456789ABCDEF";

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Decodes `%XX` escapes to bytes and keeps everything else as its UTF-8 bytes. Works at the
 * byte level so that an escape of invalid UTF-8 survives a decode/encode round trip.
 */
export function percentDecode(text: string): Buffer {
  const input = Buffer.from(text, "utf8");
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    const high = hexValue(input[i + 1]);
    const low = hexValue(input[i + 2]);
    if (byte === 0x25 && high >= 0 && low >= 0) {
      out.push(high * 16 + low);
      i += 2;
    } else {
      out.push(byte);
    }
  }
  return Buffer.from(out);
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters stay, all else is `%XX`. */
export function uriEncode(value: string | Buffer, keepSlash = false): string {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  let out = "";
  for (const byte of bytes) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    }
  }
  return out;
}

function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  const last = segments[segments.length - 1];
  const trailingSlash = last === "" || last === "." || last === "..";
  if (out.length === 0) return "/";
  return `/${out.join("/")}${trailingSlash ? "/" : ""}`;
}

/**
 * Each segment is decoded and re-encoded, so a client that escapes more (or less) than
 * RFC 3986 requires still gets the canonical form both sides agree on.
 */
export function canonicalUri(path: string, normalizePath = false): string {
  const absolute = path.startsWith("/") ? path : `/${path}`;
  const shaped = normalizePath ? removeDotSegments(absolute) : absolute;
  return shaped
    .split("/")
    .map((segment) => uriEncode(percentDecode(segment)))
    .join("/");
}

/** Parameters decoded from a raw query string, in the order they were sent. */
export function parseQuery(query: string): Array<[string, string]> {
  if (query === "") return [];
  return query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [percentDecode(name).toString("utf8"), percentDecode(value).toString("utf8")];
    });
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export function canonicalQuery(query: string, exclude: readonly string[] = []): string {
  const raw = query === "" ? [] : query.split("&").filter((pair) => pair !== "");
  const encoded = raw
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = percentDecode(eq < 0 ? pair : pair.slice(0, eq));
      const value = percentDecode(eq < 0 ? "" : pair.slice(eq + 1));
      return { name: uriEncode(name), value: uriEncode(value), plainName: name.toString("utf8") };
    })
    .filter((param) => !exclude.includes(param.plainName));
  // Encoded strings are ASCII, so code-unit order is the byte order AWS sorts by.
  encoded.sort((a, b) => compareCodeUnits(a.name, b.name) || compareCodeUnits(a.value, b.value));
  return encoded.map((param) => `${param.name}=${param.value}`).join("&");
}

function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/** `name:value` lines for the signed headers; repeated headers join with `,` in arrival order. */
export function canonicalHeaders(
  headers: readonly RawHeader[],
  signedHeaders: readonly string[],
): string {
  return signedHeaders
    .map((name) => {
      const values = headers
        .filter(([candidate]) => candidate.toLowerCase() === name)
        .map(([, value]) => canonicalHeaderValue(value));
      return `${name}:${values.join(",")}\n`;
    })
    .join("");
}

/** The names a signer would sign: every header present, lower-cased, sorted, once each. */
export function signedHeaderNames(headers: readonly RawHeader[]): string[] {
  return [...new Set(headers.map(([name]) => name.toLowerCase()))].sort(compareCodeUnits);
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  return [
    input.method.toUpperCase(),
    canonicalUri(input.path, input.normalizePath ?? false),
    canonicalQuery(input.query, input.excludeQuery),
    canonicalHeaders(input.headers, input.signedHeaders),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export function credentialScopeString(scope: CredentialScope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join("\n");
}

export function signingKey(secret: string, scope: CredentialScope): Buffer {
  const hmac = (key: string | Buffer, data: string) =>
    createHmac("sha256", key).update(data).digest();
  const dateKey = hmac(`AWS4${secret}`, scope.date);
  return hmac(hmac(hmac(dateKey, scope.region), scope.service), "aws4_request");
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac("sha256", key).update(toSign).digest("hex");
}

export function authorizationHeader(
  accessKeyId: string,
  scope: string,
  signedHeaders: readonly string[],
  sig: string,
): string {
  return `${SIGV4_ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(";")}, Signature=${sig}`;
}

/** S3 shows byte dumps of what it signed as lower-case hex pairs separated by spaces. */
export function spacedHexBytes(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds for an ISO 8601 basic timestamp (`20150830T123600Z`), or undefined. */
export function parseAmzDate(value: string): number | undefined {
  const match = AMZ_DATE.exec(value);
  if (!match) return undefined;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject dates Date.UTC silently rolled over (month 13, 31 February...).
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export interface ParsedCredential extends CredentialScope {
  accessKeyId: string;
  terminator: string;
}

/** `AKID/20150830/us-east-1/service/aws4_request`; the key id itself may not contain `/`. */
export function parseCredential(credential: string): ParsedCredential | undefined {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts.some((part) => part === "")) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { accessKeyId, date, region, service, terminator };
}

export interface ParsedAuthorization {
  algorithm: string;
  credential: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Splits `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. Returns a reason
 * string when it is not parseable, so the caller can answer like S3 does.
 */
export function parseAuthorizationHeader(header: string): ParsedAuthorization | string {
  const space = header.indexOf(" ");
  if (space < 0) return "missing components";
  const algorithm = header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return `the Authorization header component "${part.trim()}" is malformed`;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const sig = fields.get("Signature");
  if (credential === undefined) return "missing Credential";
  if (signedHeaders === undefined) return "missing SignedHeaders";
  if (sig === undefined) return "missing Signature";
  return {
    algorithm,
    credential,
    signedHeaders: signedHeaders.split(";").map((name) => name.toLowerCase()),
    signature: sig,
  };
}
