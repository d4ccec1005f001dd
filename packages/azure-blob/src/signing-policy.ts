import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import type { Clock, SignedFacts } from "@skewguard/diagnosis";
import { endpointKey, parseHttpDate } from "@skewguard/diagnosis/adapter";
import { CLOCK_AWARE_SHARED_KEY_POLICY_NAME } from "./constants.js";
import { sharedKeyStringToSign } from "./string-to-sign.js";

/**
 * What signs: a `StorageSharedKeyCredential` has exactly this shape. Signing goes through its
 * `computeHMACSHA256`, so the account key never passes through skewguard's code.
 */
export interface SharedKeySigner {
  readonly accountName: string;
  computeHMACSHA256(stringToSign: string): string;
}

export interface ClockAwareSharedKeyPolicyOptions {
  signer: SharedKeySigner;
  clock: Clock;
  /** The offset to sign with for an endpoint now (the learned one). */
  offsetMs(host: string): number;
}

const X_MS_DATE = "x-ms-date";

/**
 * Replaces the SDK's `storageSharedKeyCredentialPolicy`, which stamps `x-ms-date` with the local
 * clock unconditionally (so nothing placed before it can choose the signing time). This one
 * signs the request as it comes: the recovery policy stamps `x-ms-date` for each attempt at the
 * offset the engine chose, so the signing time travels with the request itself. A request that
 * arrives unstamped (a path around the recovery policy) is stamped at local time plus the
 * endpoint's learned offset. The string to sign is the SDK's, so at offset zero the two
 * policies produce the same bytes.
 */
export function clockAwareSharedKeyPolicy(
  options: ClockAwareSharedKeyPolicyOptions,
): PipelinePolicy {
  return {
    name: CLOCK_AWARE_SHARED_KEY_POLICY_NAME,
    sendRequest: (request, next) => {
      signRequest(request, options);
      return next(request);
    },
  };
}

/** Sets the time the next signature of `request` carries. */
export function stampSigningTime(request: PipelineRequest, atMs: number): void {
  request.headers.set(X_MS_DATE, httpDate(atMs));
}

/** The last second formatted: `x-ms-date` has whole seconds, and a busy client stays in one. */
let formatted = { second: Number.NaN, text: "" };

function httpDate(atMs: number): string {
  const second = Math.floor(atMs / 1000);
  if (second !== formatted.second) formatted = { second, text: new Date(atMs).toUTCString() };
  return formatted.text;
}

function signRequest(request: PipelineRequest, options: ClockAwareSharedKeyPolicyOptions): void {
  const { signer, clock } = options;
  if (!request.headers.has(X_MS_DATE)) {
    stampSigningTime(request, clock.now() + options.offsetMs(endpointKey(request.url) ?? ""));
  }
  const body = request.body;
  // As the SDK does: the length it signs is the length the transport will send.
  if ((typeof body === "string" || Buffer.isBuffer(body)) && body.length > 0) {
    request.headers.set("Content-Length", Buffer.byteLength(body));
  }
  const stringToSign = sharedKeyStringToSign(request, signer.accountName);
  const signature = signer.computeHMACSHA256(stringToSign);
  request.headers.set("Authorization", `SharedKey ${signer.accountName}:${signature}`);
}

/** What the last signature of `request` covered, read back from the request (never the MAC). */
export function signedFacts(request: PipelineRequest, accountName: string): SignedFacts {
  const signedAtMs = parseHttpDate(request.headers.get(X_MS_DATE));
  return {
    algorithm: "SharedKey",
    ...(signedAtMs === undefined ? {} : { signedAtMs }),
    accessKeyId: accountName,
    stringToSign: sharedKeyStringToSign(request, accountName),
  };
}
