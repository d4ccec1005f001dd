import type { GetSignedUrlConfig } from "@google-cloud/storage";
import { SkewguardError } from "@skewguard/diagnosis";
import { ACTION_METHODS, DEFAULT_API_ENDPOINT } from "./constants.js";
import type { V4HeaderValue, V4Target } from "./v4-signer.js";

/** The parts of a `File` that name what a signed URL points at. */
export interface SignedUrlFile {
  name: string;
  bucket: { name: string };
  generation?: number | string | undefined;
  storage: { apiEndpoint?: string; universeDomain?: string };
}

/** What `file.getSignedUrl(config)` would sign, minus the time and the key. */
export interface SignedUrlRequest extends V4Target {
  method: string;
  headers: Record<string, V4HeaderValue>;
  queryParams: Record<string, string>;
  /** The endpoint that verifies the URL: whose clock the URL must be signed on. */
  verifier: string;
}

/**
 * Translates `file.getSignedUrl`'s config the way @google-cloud/storage 7 does: the action's
 * method, lower-cased extension headers plus the implied ones, the response-* and generation
 * query parameters, and the URL's origin (`host`, then `cname`, then virtual-hosted style,
 * then the client's `apiEndpoint`).
 */
export function signedUrlRequest(
  file: SignedUrlFile,
  config: GetSignedUrlConfig,
): SignedUrlRequest {
  const method = ACTION_METHODS[config.action];
  if (method === undefined) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_OPTION",
      `action must be "read", "write", "delete" or "resumable", got ${String(config.action)}`,
    );
  }
  const apiEndpoint = file.storage.apiEndpoint ?? DEFAULT_API_ENDPOINT;
  const universe = file.storage.universeDomain ?? "googleapis.com";
  const host = config.host === undefined ? undefined : String(config.host);
  // cname and virtual-hosted URLs carry the object alone in their path, even under `host`.
  const bucketInHost = config.cname !== undefined || config.virtualHostedStyle === true;
  const origin =
    host ??
    config.cname ??
    (config.virtualHostedStyle ? `https://${file.bucket.name}.storage.${universe}` : apiEndpoint);
  return {
    bucket: file.bucket.name,
    object: file.name,
    ...(bucketInHost
      ? { urlStyle: "bucket-bound-hostname" as const, bucketBoundHostname: origin }
      : { urlStyle: "path" as const, host: origin }),
    method,
    headers: extensionHeaders(config),
    queryParams: queryParams(file, config),
    verifier: host ?? apiEndpoint,
  };
}

/**
 * The extension headers a V2 URL signs: the config's, lower-cased, and `x-goog-resumable` for
 * a resumable start (`Content-MD5` and `Content-Type` have lines of their own in V2).
 */
export function v2ExtensionHeaders(config: GetSignedUrlConfig): Record<string, V4HeaderValue> {
  const headers: Record<string, V4HeaderValue> = {};
  for (const [name, value] of Object.entries(config.extensionHeaders ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (config.action === "resumable") headers["x-goog-resumable"] = "start";
  return headers;
}

/** V4 signs `Content-MD5` and `Content-Type` as headers, with the extension headers. */
function extensionHeaders(config: GetSignedUrlConfig): Record<string, V4HeaderValue> {
  const headers = v2ExtensionHeaders(config);
  if (config.contentMd5) headers["content-md5"] = config.contentMd5;
  if (config.contentType) headers["content-type"] = config.contentType;
  return headers;
}

function queryParams(file: SignedUrlFile, config: GetSignedUrlConfig): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.queryParams ?? {})) {
    if (value !== undefined && value !== null) params[name] = String(value);
  }
  if (typeof config.responseType === "string") {
    params["response-content-type"] = config.responseType;
  }
  if (typeof config.promptSaveAs === "string") {
    params["response-content-disposition"] = `attachment; filename="${config.promptSaveAs}"`;
  }
  if (typeof config.responseDisposition === "string") {
    params["response-content-disposition"] = config.responseDisposition;
  }
  if (file.generation) params["generation"] = String(file.generation);
  return params;
}
