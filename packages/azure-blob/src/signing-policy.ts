import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import type { Clock } from "@skewguard/diagnosis";
import { CLOCK_AWARE_SHARED_KEY_POLICY_NAME } from "./constants.js";
import { endpointKey } from "./endpoint.js";
import type { SigningLedger } from "./signing-ledger.js";
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
  ledger: SigningLedger;
}

/**
 * Replaces the SDK's `storageSharedKeyCredentialPolicy`, which stamps `x-ms-date` with the local
 * clock unconditionally in the Sign phase (so setting the header earlier changes nothing). This
 * one stamps local time plus the offset learned for the endpoint and signs the same string the
 * SDK signs, so at offset zero the two produce the same bytes.
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

export function signRequest(request: PipelineRequest, options: ClockAwareSharedKeyPolicyOptions) {
  const { signer, clock, ledger } = options;
  const offsetMs = ledger.plannedOffset(request) ?? options.offsetMs(endpointKey(request.url));
  const signedAtMs = clock.now() + offsetMs;
  request.headers.set("x-ms-date", new Date(signedAtMs).toUTCString());
  const body = request.body;
  // As the SDK does: the length it signs is the length the transport will send.
  if ((typeof body === "string" || Buffer.isBuffer(body)) && body.length > 0) {
    request.headers.set("Content-Length", Buffer.byteLength(body));
  }
  const stringToSign = sharedKeyStringToSign(request, signer.accountName);
  const signature = signer.computeHMACSHA256(stringToSign);
  request.headers.set("Authorization", `SharedKey ${signer.accountName}:${signature}`);
  ledger.record(request, { offsetMs, signedAtMs, stringToSign, accountName: signer.accountName });
}
