import { randomUUID } from "node:crypto";
import { httpDate } from "./server-clock.js";

/**
 * Azure Blob Storage's 403 `AuthenticationFailed`, as the service sends it (shapes copied from
 * field reports): the `Message` ends with `RequestId:` and `Time:` (seven fractional digits),
 * the reason is in `AuthenticationErrorDetail`, and a HEAD gets the headers with no body.
 */

export const AUTHENTICATION_FAILED = "AuthenticationFailed";

export const AUTHENTICATION_FAILED_MESSAGE =
  "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.";

/** The header the service sends on its responses (clients and tools look at it). */
export const AZURE_SERVER_HEADER = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0";

export interface AzureErrorResponse {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD. */
  body: string;
}

/** `2019-10-07T19:46:36.6469406Z`: the service's `Time:` form (.NET ticks, 100 ns). */
export function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** The detail for a SharedKey request whose `x-ms-date` (or `Date`) is outside the window. */
export function dateHeaderDetail(requestDate: string, tooOld: boolean): string {
  return tooOld
    ? `Request date header too old: '${requestDate}'`
    : `Request date header not yet valid: '${requestDate}'`;
}

/** The detail for a SAS outside its `st`/`se` window (times in RFC 1123, as the service writes). */
export function sasTimeDetail(
  startMs: number | undefined,
  expiryMs: number | undefined,
  nowMs: number,
): string {
  const start = startMs === undefined ? "" : httpDate(startMs);
  const expiry = expiryMs === undefined ? "" : httpDate(expiryMs);
  return `Signature not valid in the specified time frame: Start [${start}] - Expiry [${expiry}] - Current [${httpDate(nowMs)}]`;
}

/** The detail for a SharedKey signature the service could not reproduce. */
export function macMismatchDetail(signature: string, stringToSign: string): string {
  return `The MAC signature found in the HTTP request '${signature}' is not the same as any computed signature. Server used following string to sign: '${stringToSign}'`;
}

/** A complete 403 AuthenticationFailed response at server time `nowMs`. */
export function authenticationFailed(
  nowMs: number,
  detail: string,
  method: string,
): AzureErrorResponse {
  return azureError(
    nowMs,
    { status: 403, code: AUTHENTICATION_FAILED, message: AUTHENTICATION_FAILED_MESSAGE },
    method,
    detail,
  );
}

/** An error the service answers with: the HTTP status, `x-ms-error-code` and the message. */
export interface AzureErrorShape {
  status: number;
  code: string;
  /** The `Message`, without the `RequestId:` and `Time:` lines the service appends. */
  message: string;
}

/**
 * A complete error response at server time `nowMs`, in the service's shape: `Message` ending
 * with `RequestId:` and `Time:`, an `AuthenticationErrorDetail` when a detail is given, and
 * the headers only for a HEAD.
 */
export function azureError(
  nowMs: number,
  error: AzureErrorShape,
  method: string,
  detail?: string,
): AzureErrorResponse {
  const requestId = randomUUID();
  const body =
    method === "HEAD"
      ? ""
      : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${escapeXml(error.code)}</Code>` +
        `<Message>${escapeXml(`${error.message}\nRequestId:${requestId}\nTime:${azureTime(nowMs)}`)}</Message>` +
        (detail === undefined
          ? ""
          : `<AuthenticationErrorDetail>${escapeXml(detail)}</AuthenticationErrorDetail>`) +
        "</Error>";
  return {
    status: error.status,
    headers: {
      "content-type": "application/xml",
      "content-length": String(Buffer.byteLength(body)),
      server: AZURE_SERVER_HEADER,
      "x-ms-request-id": requestId,
      "x-ms-error-code": error.code,
      date: httpDate(nowMs),
    },
    body,
  };
}

/** Text content needs only these three; the service leaves quotes as they are. */
function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
