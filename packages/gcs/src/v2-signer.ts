import { encodeV4Path, encodeV4Segment, type V4HeaderValue } from "./v4-signer.js";

/**
 * What a V2 signed URL (`GoogleAccessId`, `Expires`, `Signature`) signs. V2 carries no signing
 * time, only an absolute expiry in seconds: the one time a V2 URL holds.
 */
export interface V2SignedUrlOptions {
  method: string;
  bucket: string;
  object: string;
  /** `Expires`: seconds since the epoch, on the clock of the server that verifies the URL. */
  expiresAtSeconds: number;
  clientEmail: string;
  contentMd5?: string | undefined;
  contentType?: string | undefined;
  /** Extension headers, signed as `name:value` lines before the resource. */
  headers: Readonly<Record<string, V4HeaderValue>>;
  /** Query parameters appended after the signature (unsigned in V2). */
  queryParams: Readonly<Record<string, string>>;
  /** `scheme://host[:port]` of the URL. */
  origin: string;
  /** The URL's path: `/bucket/object`, or `/object` when the host names the bucket. */
  path: string;
  /** RSA-SHA256 over the string-to-sign, base64 (google-auth-library's `sign`). */
  sign(stringToSign: string): Promise<string>;
}

export interface V2SignedUrl {
  url: string;
  stringToSign: string;
}

/**
 * Builds a V2 signed URL the way `@google-cloud/storage` 7 and 8 build it: the string-to-sign
 * is the method, `Content-MD5`, `Content-Type`, `Expires`, the extension headers and the
 * path-style resource (`/bucket/object` whatever host the URL names), one per line.
 */
export async function signV2Url(options: V2SignedUrlOptions): Promise<V2SignedUrl> {
  const stringToSign = v2StringToSign(options);
  const signature = await options.sign(stringToSign);
  const query = [
    ["GoogleAccessId", options.clientEmail],
    ["Expires", String(options.expiresAtSeconds)],
    ["Signature", signature],
    ...Object.entries(options.queryParams),
  ]
    // The library's query encoding: RFC 3986 strict, `/` included.
    .map(([name, value]) => `${encodeV4Segment(name!)}=${encodeV4Segment(value!)}`)
    .join("&");
  return { url: `${options.origin}${options.path}?${query}`, stringToSign };
}

/** The V2 string-to-sign; pure, so it can be shown or compared without a key. */
export function v2StringToSign(
  options: Omit<V2SignedUrlOptions, "sign" | "origin" | "path" | "queryParams">,
): string {
  const headers = Object.entries(options.headers)
    .filter((entry): entry is [string, Exclude<V4HeaderValue, undefined>] => entry[1] !== undefined)
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      const joined = Array.isArray(value) ? value.join(",") : String(value);
      return `${name}:${joined.trim().replace(/\s{2,}/g, " ")}\n`;
    })
    .join("");
  return [
    options.method,
    options.contentMd5 ?? "",
    options.contentType ?? "",
    String(options.expiresAtSeconds),
    `${headers}/${options.bucket}/${encodeV4Path(options.object)}`,
  ].join("\n");
}
