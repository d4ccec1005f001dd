import { type KeyObject, verify } from "node:crypto";
import type { GcsXmlError, SignedUrlRequest } from "./gcs-v4-verifier.js";

/**
 * V2 signed URLs (`GoogleAccessId`, `Expires`, `Signature`): RSA-SHA256 over the method,
 * `Content-MD5`, `Content-Type`, `Expires` (seconds since the epoch), the `x-goog-*` headers
 * and the resource `/bucket/object`. Their only time is `Expires`, an absolute one: GCS
 * refuses the URL once its own clock is past it, and has no notion of a start.
 */

export interface V2VerifyOptions {
  /** The server's time, milliseconds since the epoch. */
  now: number;
  /** Public keys by service-account email. */
  publicKeys: ReadonlyMap<string, KeyObject>;
}

export type V2Verdict =
  | { ok: true; clientEmail: string; expiresAt: number }
  | { ok: false; error: GcsXmlError };

const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.";

/** Whether a request carries a V2 query-string signature. */
export function hasV2QuerySignature(target: string): boolean {
  return /[?&]GoogleAccessId=/i.test(target) && /[?&]Signature=/i.test(target);
}

/**
 * Verifies a V2 signed URL as GCS's XML API does: the expiry first (an expired URL answers
 * `ExpiredToken` whatever its signature), then the signature over the string-to-sign rebuilt
 * from what arrived, the path exactly as sent.
 */
export function verifyV2SignedUrl(request: SignedUrlRequest, options: V2VerifyOptions): V2Verdict {
  const at = request.target.indexOf("?");
  const path = at < 0 ? request.target : request.target.slice(0, at);
  const query = new URLSearchParams(at < 0 ? "" : request.target.slice(at + 1));
  const clientEmail = query.get("GoogleAccessId") ?? "";
  const expiresText = query.get("Expires") ?? "";
  const signature = query.get("Signature") ?? "";
  if (!/^\d{1,12}$/.test(expiresText)) {
    return fail({
      status: 400,
      code: "InvalidArgument",
      message: "Invalid argument.",
      details: "Missing or invalid Expires parameter.",
    });
  }
  const expiresAt = Number(expiresText) * 1000;
  if (options.now > expiresAt) {
    return fail({
      status: 400,
      code: "ExpiredToken",
      message: "The provided token has expired.",
      details: `Request signature expired at: ${new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "+00:00")}`,
    });
  }
  const stringToSign = [
    request.method.toUpperCase(),
    headerValue(request.headers, "content-md5") ?? "",
    headerValue(request.headers, "content-type") ?? "",
    expiresText,
    `${googHeaders(request.headers)}${path}`,
  ].join("\n");
  const key = options.publicKeys.get(clientEmail);
  const valid =
    key !== undefined &&
    verify("sha256", Buffer.from(stringToSign), key, Buffer.from(signature, "base64"));
  if (!valid) {
    return fail({
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "Access denied.",
      details: SIGNATURE_MISMATCH,
      stringToSign,
    });
  }
  return { ok: true, clientEmail, expiresAt };
}

function fail(error: GcsXmlError): V2Verdict {
  return { ok: false, error };
}

/** The `x-goog-*` headers, lower-cased and sorted, one `name:value` line each. */
function googHeaders(headers: SignedUrlRequest["headers"]): string {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith("x-goog-"))
    .sort()
    .map((name) => `${name}:${headerValue(headers, name)}\n`)
    .join("");
}

function headerValue(headers: SignedUrlRequest["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const joined = typeof value === "string" ? value : value.join(",");
    return joined.trim().replace(/\s{2,}/g, " ");
  }
  return undefined;
}
