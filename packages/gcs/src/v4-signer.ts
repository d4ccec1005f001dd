import { createHash, createSign, type KeyObject } from "node:crypto";

/** The only V4 algorithm a service-account key signs with. */
export const V4_ALGORITHM = "GOOG4-RSA-SHA256";

/** GCS refuses V4 signatures that live longer than seven days. */
export const V4_MAX_EXPIRES_SECONDS = 604_800;

/** Signs a string-to-sign and returns the raw signature bytes (RSA-SHA256 for a key file). */
export type V4Sign = (stringToSign: string) => Promise<Uint8Array> | Uint8Array;

/** Either a signing function (IAM `signBlob`, an HSM, ...) or the service account's key. */
export type V4SigningKey =
  | { sign: V4Sign; privateKey?: never }
  | { privateKey: string | KeyObject; sign?: never };

/**
 * How the URL names the bucket: in the path (`https://storage.googleapis.com/b/o`), in the
 * host (`https://b.storage.googleapis.com/o`), or not at all because a CNAME maps the whole
 * host to the bucket (`https://mydomain.tld/o`).
 */
export type V4UrlStyle = "path" | "virtual-hosted" | "bucket-bound-hostname";

/** Where the URL points; shared by signed URLs and POST policies. */
export interface V4Target {
  bucket: string;
  /** Omitted for bucket-level URLs (listing). */
  object?: string;
  /**
   * Used when `host` or `bucketBoundHostname` carries no scheme of its own.
   * @default "https"
   */
  scheme?: "https" | "http";
  /**
   * `host[:port]` or `scheme://host[:port]` of the endpoint, kept verbatim in the URL. The
   * signed `host` header is its hostname without the port, as the Node.js client signs it.
   * @default `storage.${universeDomain}`
   */
  host?: string;
  /** @default "googleapis.com" */
  universeDomain?: string;
  /** @default "path" */
  urlStyle?: V4UrlStyle;
  /** The CNAME host for `urlStyle: "bucket-bound-hostname"` (may carry a scheme). */
  bucketBoundHostname?: string;
}

/** Header values as `http.OutgoingHttpHeaders` allows them. */
export type V4HeaderValue = string | number | readonly string[] | undefined;

export type V4SignedUrlOptions = V4Target &
  V4SigningKey & {
    /** HTTP method the URL allows (`GET`, `PUT`, `POST` for resumable starts, `DELETE`). */
    method: string;
    /** `X-Goog-Expires`: seconds the URL stays valid after `timestampMs`, 1 to 604800. */
    expiresInSeconds: number;
    /** `X-Goog-Date`: the signing time, milliseconds since the epoch (sub-second part dropped). */
    timestampMs: number;
    /** The service account's email, the first part of `X-Goog-Credential`. */
    clientEmail: string;
    /** Extension headers the request must carry; they become signed headers. */
    headers?: Readonly<Record<string, V4HeaderValue>>;
    /** Extra query parameters, signed with the rest. */
    queryParams?: Readonly<Record<string, string>>;
  };

/** Everything about a signed URL except the signature. */
export interface V4SigningRequest {
  canonicalRequest: string;
  stringToSign: string;
  /** The URL without `X-Goog-Signature`; append `&X-Goog-Signature=<hex>` to finish it. */
  unsignedUrl: string;
}

export interface V4SignedUrl {
  url: string;
  canonicalRequest: string;
  stringToSign: string;
}

/** Resolved origin and resource path of a V4 target. */
export interface V4ResolvedTarget {
  /** `scheme://host[:port]` exactly as it will appear in the URL. */
  origin: string;
  /** Hostname without port: the value of the signed `host` header. */
  signedHost: string;
  /** The encoded resource path (the canonical URI). */
  path: string;
}

/** Builds the signed URL: canonical request, string-to-sign, then the RSA signature. */
export async function signV4Url(options: V4SignedUrlOptions): Promise<V4SignedUrl> {
  const request = prepareV4SignedUrl(options);
  const signature = await signWithKey(options, request.stringToSign);
  return {
    url: `${request.unsignedUrl}&X-Goog-Signature=${Buffer.from(signature).toString("hex")}`,
    canonicalRequest: request.canonicalRequest,
    stringToSign: request.stringToSign,
  };
}

/**
 * The pure part of `signV4Url`: no key is touched, so a caller can show or diff the
 * canonical request before (or without) signing.
 */
export function prepareV4SignedUrl(
  options: Omit<V4SignedUrlOptions, keyof V4SigningKey>,
): V4SigningRequest {
  assertExpires(options.expiresInSeconds);
  const target = resolveV4Target(options);
  const dateTime = formatV4DateTime(options.timestampMs);
  const scope = v4CredentialScope(dateTime);
  const headers = canonicalHeaders({ ...(options.headers ?? {}) }, target.signedHost);
  const signedHeaders = headers.map(([name]) => name).join(";");
  const query = canonicalQuery({
    ...(options.queryParams ?? {}),
    "X-Goog-Algorithm": V4_ALGORITHM,
    "X-Goog-Credential": `${options.clientEmail}/${scope}`,
    "X-Goog-Date": dateTime,
    "X-Goog-Expires": String(options.expiresInSeconds),
    "X-Goog-SignedHeaders": signedHeaders,
  });
  const canonicalRequest = [
    options.method.toUpperCase(),
    target.path,
    query,
    headers.map(([name, value]) => `${name}:${value}\n`).join(""),
    signedHeaders,
    payloadHash(headers),
  ].join("\n");
  const stringToSign = [V4_ALGORITHM, dateTime, scope, sha256Hex(canonicalRequest)].join("\n");
  return { canonicalRequest, stringToSign, unsignedUrl: `${target.origin}${target.path}?${query}` };
}

/** Resolves where a URL or POST policy points and which host it signs. */
export function resolveV4Target(target: V4Target): V4ResolvedTarget {
  const style = target.urlStyle ?? "path";
  const baseHost = target.host ?? `storage.${target.universeDomain ?? "googleapis.com"}`;
  const objectPath = target.object === undefined ? "" : encodeV4Path(target.object);
  if (style === "bucket-bound-hostname") {
    if (!target.bucketBoundHostname) {
      throw new TypeError('urlStyle "bucket-bound-hostname" needs bucketBoundHostname');
    }
    const { scheme, host } = splitScheme(target.bucketBoundHostname, target.scheme);
    return { origin: `${scheme}://${host}`, signedHost: stripPort(host), path: `/${objectPath}` };
  }
  const { scheme, host } = splitScheme(baseHost, target.scheme);
  if (style === "virtual-hosted") {
    const bucketHost = `${target.bucket}.${host}`;
    return {
      origin: `${scheme}://${bucketHost}`,
      signedHost: stripPort(bucketHost),
      path: `/${objectPath}`,
    };
  }
  const bucketPath = `/${encodeV4Segment(target.bucket)}`;
  return {
    origin: `${scheme}://${host}`,
    signedHost: stripPort(host),
    path: target.object === undefined ? bucketPath : `${bucketPath}/${objectPath}`,
  };
}

/** `20190201T090000Z` for the given instant (whole seconds, UTC). */
export function formatV4DateTime(timestampMs: number): string {
  if (!Number.isFinite(timestampMs)) throw new RangeError("timestampMs must be a finite number");
  return new Date(Math.floor(timestampMs / 1000) * 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** `20190201/auto/storage/goog4_request`: GCS signs every location as `auto`. */
export function v4CredentialScope(dateTime: string): string {
  return `${dateTime.slice(0, 8)}/auto/storage/goog4_request`;
}

/**
 * RFC 3986 encoding for one path segment or query component: everything but
 * `A-Z a-z 0-9 - . _ ~` is percent-encoded (`encodeURIComponent` leaves `!'()*` alone).
 */
export function encodeV4Segment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** An object name keeps its slashes (and so its empty segments) in the canonical URI. */
export function encodeV4Path(object: string): string {
  return object.split("/").map(encodeV4Segment).join("/");
}

/** Signs with the caller's function, or RSA-SHA256 with the key. */
export async function signWithKey(key: V4SigningKey, stringToSign: string): Promise<Uint8Array> {
  if (key.sign) return key.sign(stringToSign);
  if (key.privateKey === undefined) throw new TypeError("a sign function or privateKey is needed");
  return createSign("RSA-SHA256").update(stringToSign).sign(key.privateKey);
}

function assertExpires(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > V4_MAX_EXPIRES_SECONDS) {
    throw new RangeError(
      `expiresInSeconds must be an integer from 1 to ${V4_MAX_EXPIRES_SECONDS}, got ${seconds}`,
    );
  }
}

function splitScheme(
  host: string,
  fallback: "https" | "http" | undefined,
): { scheme: string; host: string } {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(host);
  const bare = (match ? match[2]! : host).replace(/\/+$/, "");
  return { scheme: match ? match[1]!.toLowerCase() : (fallback ?? "https"), host: bare };
}

/** `localhost:8080` → `localhost`; `[::1]:8080` → `[::1]`. */
function stripPort(host: string): string {
  return host.replace(/:\d*$/, "");
}

/** Lower-cased, code-point-sorted, values trimmed with inner whitespace runs collapsed. */
function canonicalHeaders(
  headers: Record<string, V4HeaderValue>,
  signedHost: string,
): Array<[string, string]> {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(",") : String(value);
    byName.set(name.toLowerCase(), joined.trim().replace(/\s{2,}/g, " "));
  }
  byName.set("host", signedHost);
  return [...byName.entries()].sort(([a], [b]) => compareCodeUnits(a, b));
}

function canonicalQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([key, value]) => [encodeV4Segment(key), encodeV4Segment(value)] as const)
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/** A signed `x-goog-content-sha256` header binds the body; otherwise it stays unsigned. */
function payloadHash(headers: ReadonlyArray<[string, string]>): string {
  return headers.find(([name]) => name === "x-goog-content-sha256")?.[1] ?? "UNSIGNED-PAYLOAD";
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
