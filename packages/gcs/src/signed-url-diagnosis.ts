import { parseAmzDate } from "@skewguard/diagnosis/adapter";
import type { Diagnosis, Observation, SignedFacts } from "@skewguard/diagnosis";
import { GCS_DEFAULTS } from "./constants.js";
import { signerContextOf } from "./context.js";
import { hostOf, toHeaderMap } from "./headers.js";
import type { GcsSkewOptions } from "./options.js";
import { recallSignedUrl } from "./signed-url-registry.js";

/** A refused signed-URL request: a fetch `Response`, or its parts. */
export type SignedUrlResponse =
  | Response
  | { status: number; headers?: unknown; body?: string | undefined };

export interface DiagnoseSignedUrlOptions extends GcsSkewOptions {
  /** The `Storage` the URL was signed for: its learned offset and event sinks are used. */
  storage?: object;
}

/**
 * Says why GCS refused a V4 signed URL (`ExpiredToken`, `SignatureDoesNotMatch`,
 * `MalformedSecurityHeader`, a request not yet valid...). skewguard never sees the requests
 * made with a URL it signed, so the caller hands over the refusal. The URL's own
 * `X-Goog-Date`/`X-Goog-Expires` give the signed times; for a URL this process signed, the
 * canonical request and string-to-sign are compared with the server's. Emits
 * `signature.diagnosed`.
 */
export async function diagnoseSignedUrlResponse(
  url: string,
  response: SignedUrlResponse,
  options: DiagnoseSignedUrlOptions = {},
): Promise<Diagnosis> {
  const { storage, ...rest } = options;
  const context = signerContextOf(storage ?? diagnosisHolder, rest);
  const now = context.recovery.clock.now();
  const body = await bodyOf(response);
  const obs: Observation = {
    provider: "gcs",
    host: hostOf(url) ?? "unknown",
    operation: "signed-url",
    sentAt: now,
    receivedAt: now,
    status: response.status,
    headers: toHeaderMap(response.headers),
    ...(body === undefined ? {} : { body }),
    signed: signedFactsOf(url),
    presigned: true,
  };
  return context.recovery.diagnose(obs);
}

/** Callers that name no `Storage` share one context. */
const diagnosisHolder = {};

async function bodyOf(response: SignedUrlResponse): Promise<string | undefined> {
  let text: string | undefined;
  if (typeof Response !== "undefined" && response instanceof Response) {
    text = response.bodyUsed ? undefined : await response.text().catch(() => undefined);
  } else {
    text = (response as { body?: string }).body;
  }
  return text === undefined ? undefined : text.slice(0, GCS_DEFAULTS.errorBodyChars);
}

/** What the URL says was signed; never its signature. */
export function signedFactsOf(url: string): SignedFacts {
  const facts: SignedFacts = {};
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return facts;
  }
  const algorithm = params.get("X-Goog-Algorithm");
  if (algorithm) facts.algorithm = algorithm;
  const signedAt = parseGoogDate(params.get("X-Goog-Date"));
  if (signedAt !== undefined) facts.signedAtMs = signedAt;
  const expires = Number(params.get("X-Goog-Expires") ?? Number.NaN);
  if (Number.isInteger(expires)) {
    facts.expiresSeconds = expires;
    if (signedAt !== undefined) facts.expiresAtMs = signedAt + expires * 1000;
  }
  const credential = params.get("X-Goog-Credential");
  const slash = credential?.indexOf("/") ?? -1;
  if (credential && slash > 0) {
    facts.accessKeyId = credential.slice(0, slash);
    facts.credentialScope = credential.slice(slash + 1);
  }
  const remembered = recallSignedUrl(url);
  if (remembered) {
    facts.canonicalRequest = remembered.canonicalRequest;
    facts.stringToSign = remembered.stringToSign;
    facts.offsetMs = remembered.offsetMs;
  }
  return facts;
}

/** `20261123T103000Z` → ms since the epoch (the same compact form as SigV4's). */
function parseGoogDate(text: string | null): number | undefined {
  return text === null ? undefined : parseAmzDate(text);
}
