import {
  type Diagnosis,
  type Observation,
  type SignedFacts,
  signedFactsOfUrl,
} from "@skewguard/diagnosis";
import { endpointKey, toHeaderMap } from "@skewguard/diagnosis/adapter";
import { createEngine, signerEngineOf } from "./context.js";
import type { GcsSkewOptions } from "./options.js";
import { recallSignedUrl } from "./signed-url-registry.js";

/** A refused signed-URL request: a fetch `Response`, or its parts. */
export type SignedUrlResponse =
  | Response
  | { status: number; headers?: unknown; body?: string | undefined };

export interface DiagnoseSignedUrlOptions extends GcsSkewOptions {
  /**
   * The `Storage` the URL was signed for: its learned offset and event sinks are used (the
   * other options then apply only if it was not wrapped).
   */
  storage?: object;
}

/**
 * Says why GCS refused a V4 signed URL (`ExpiredToken`, `SignatureDoesNotMatch`,
 * `MalformedSecurityHeader`, a request not yet valid...). skewguard never sees the requests
 * made with a URL it signed, so the caller hands over the refusal. The URL's own
 * `X-Goog-Date`/`X-Goog-Expires` give the signed times; for a URL this process signed, the
 * canonical request and string-to-sign are compared with the server's. Emits
 * `signature.diagnosed`.
 *
 * @throws `SkewguardError` `SKEWGUARD_INVALID_OPTION` for an invalid option.
 *
 * @example
 * ```ts
 * const response = await fetch(url);
 * if (!response.ok) {
 *   const diagnosis = await diagnoseSignedUrlResponse(url, response, { storage });
 *   console.error(diagnosis.cause, diagnosis.summary, diagnosis.fixes);
 * }
 * ```
 */
export async function diagnoseSignedUrlResponse(
  url: string,
  response: SignedUrlResponse,
  options: DiagnoseSignedUrlOptions = {},
): Promise<Diagnosis> {
  const { storage, ...rest } = options;
  const recovery = storage === undefined ? createEngine(rest) : signerEngineOf(storage, rest);
  const now = recovery.clock.now();
  const body = await bodyOf(response);
  const obs: Observation = {
    provider: "gcs",
    host: endpointKey(url) ?? "unknown",
    operation: "signed-url",
    sentAt: now,
    receivedAt: now,
    status: response.status,
    headers: toHeaderMap(response.headers),
    ...(body === undefined ? {} : { body }),
    signed: signedFactsOf(url),
    presigned: true,
  };
  return recovery.diagnose(obs);
}

/** The refusal's body as received: the core reads it up to its cap. */
async function bodyOf(response: SignedUrlResponse): Promise<string | undefined> {
  if (typeof Response !== "undefined" && response instanceof Response) {
    return response.bodyUsed ? undefined : await response.text().catch(() => undefined);
  }
  return (response as { body?: string }).body;
}

/**
 * What the URL says was signed (the core reads it; never its signature), and for a URL this
 * process signed, the canonical request and string-to-sign it remembers: they cannot be
 * rebuilt from the URL (the signed headers' values are not in it).
 */
function signedFactsOf(url: string): SignedFacts {
  const facts: SignedFacts = { ...signedFactsOfUrl(url)?.signed };
  const remembered = recallSignedUrl(url);
  if (remembered) {
    facts.canonicalRequest = remembered.canonicalRequest;
    facts.stringToSign = remembered.stringToSign;
    facts.offsetMs = remembered.offsetMs;
  }
  return facts;
}
