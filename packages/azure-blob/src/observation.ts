import type { PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import type { Observation, SignedFacts } from "@skewguard/diagnosis";
import { AZURE_DEFAULTS } from "./constants.js";
import type { SigningRecord } from "./signing-ledger.js";

/** What the recovery policy knows about one attempt besides the response. */
export interface AttemptFacts {
  host: string;
  operation?: string;
  sentAt: number;
  receivedAt: number;
  resent: boolean;
  signed?: SigningRecord;
}

/** One attempt as the core sees it. The error body is one the transport already read as text. */
export function observe(
  request: PipelineRequest,
  response: PipelineResponse,
  attempt: AttemptFacts,
): Observation {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name.toLowerCase()] = value;
  const body =
    response.status >= 400 && typeof response.bodyAsText === "string"
      ? response.bodyAsText.slice(0, AZURE_DEFAULTS.errorBodyCapChars)
      : undefined;
  return {
    provider: "azure",
    host: attempt.host,
    ...(attempt.operation ? { operation: attempt.operation } : {}),
    sentAt: attempt.sentAt,
    receivedAt: attempt.receivedAt,
    status: response.status,
    headers,
    ...(body ? { body } : {}),
    ...(attempt.signed ? { signed: signedFacts(attempt.signed) } : {}),
    resent: attempt.resent,
    ...(isSas(request.url) ? { presigned: true } : {}),
  };
}

function signedFacts(record: SigningRecord): SignedFacts {
  return {
    algorithm: "SharedKey",
    offsetMs: record.offsetMs,
    signedAtMs: record.signedAtMs,
    accessKeyId: record.accountName,
    stringToSign: record.stringToSign,
  };
}

/** A SAS URL carries `sig` in its query; a regular expression spares a URL parse per request. */
function isSas(url: string): boolean {
  return /[?&]sig=/.test(url);
}
