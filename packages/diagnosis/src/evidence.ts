import { type ParsedErrorBody, nonEmpty, readCapped } from "./error-body.js";
import { headerTime, isCached } from "./header-evidence.js";
import { REQUEST_ID_HEADERS } from "./headers.js";
import { awsErrorTypeHeader, readAwsJsonError, withMessageFacts } from "./parse-aws-protocols.js";
import { readAzureErrorDetails, readAzureErrorXml } from "./parse-azure.js";
import { parseGcsErrorJson, readGoogleErrorDocument } from "./parse-gcs.js";
import { readS3ErrorXml, readS3Fields } from "./parse-s3.js";
import type { ErrorFacts, HeaderMap, Observation, TimeEvidence, TimeSource } from "./types.js";

export { DEFAULT_BODY_CAP_BYTES, readCapped } from "./error-body.js";

/** Everything one response says: error facts, readings of the server's clock, and whether it came from a cache. */
export interface ResponseEvidence {
  facts: ErrorFacts;
  time: TimeEvidence[];
  /** An `Age` header: a cache answered, so its `Date` says when the origin spoke, not now. */
  cached: boolean;
}

/** Error codes some responses carry only in a header (Azure HEAD requests have no body). */
const CODE_HEADERS = ["x-ms-error-code", "x-amz-error-code"] as const;

/**
 * Reads one observation's evidence: the body through the parser its provider and shape call
 * for (the SDK's parsed fields when there is no body), then headers for what the body lacked.
 * Never throws: adapters call it on every response, and an exception here would turn a
 * diagnosable failure into a crash.
 */
export function readEvidence(obs: Observation): ResponseEvidence {
  try {
    // AWS services state times and signing strings in the message, whatever carried it.
    const parsed = withMessageFacts(readBody(obs));
    const facts = withHeaderFacts(parsed.facts, obs.headers);
    const time = [...bodyTime(obs, parsed), ...headerTime(obs.headers)];
    return { facts, time, cached: isCached(obs.headers) };
  } catch {
    return { facts: {}, time: [], cached: false };
  }
}

/**
 * The body when it says anything; otherwise the document or the fields an SDK parsed from the
 * body it consumed (they may be complete where the adapter's copy of the body was cut at the cap).
 */
function readBody(obs: Observation): ParsedErrorBody {
  // The one place a body is capped: adapters hand over what the SDK read.
  const fromBody =
    typeof obs.body === "string" ? readBodyText(obs.provider, readCapped(obs.body)) : undefined;
  if (fromBody && Object.keys(fromBody.facts).length > 0) return fromBody;
  if (obs.document) {
    const fromDocument = readDocument(obs.document);
    if (Object.keys(fromDocument.facts).length > 0) return fromDocument;
  }
  if (obs.fields) return readS3Fields(obs.fields);
  return { facts: {} };
}

/** Google's documents have `error`; an Azure `RestError`'s details have an error code. */
function readDocument(document: Readonly<Record<string, unknown>>): ParsedErrorBody {
  if (document["error"] !== undefined) return { facts: readGoogleErrorDocument(document) };
  return readAzureErrorDetails(document);
}

/**
 * XML goes to the provider's XML reader (GCS's XML API and the AWS Query protocols are
 * S3-shaped); JSON is Google's shape or an AWS JSON protocol's.
 */
function readBodyText(provider: Observation["provider"], body: string): ParsedErrorBody {
  const first = firstSignificantChar(body);
  if (first === "<") return provider === "azure" ? readAzureErrorXml(body) : readS3ErrorXml(body);
  if (first === "{") {
    const google = parseGcsErrorJson(body);
    return Object.keys(google).length > 0 ? { facts: google } : readAwsJsonError(body);
  }
  return { facts: {} };
}

/** The first character that is not whitespace or a byte-order mark, looking no further than needed. */
function firstSignificantChar(body: string): string | undefined {
  const match = /^[\s\uFEFF]{0,1024}([^\s\uFEFF])/.exec(body.slice(0, 1025));
  return match?.[1];
}

function withHeaderFacts(facts: ErrorFacts, headers: HeaderMap | undefined): ErrorFacts {
  const result: ErrorFacts = { ...facts };
  if (result.code === undefined) {
    const code = firstHeader(headers, CODE_HEADERS) ?? awsErrorTypeHeader(headers);
    if (code !== undefined) result.code = code;
  }
  if (result.requestId === undefined) {
    const requestId = firstHeader(headers, REQUEST_ID_HEADERS);
    if (requestId !== undefined) result.requestId = requestId;
  }
  return result;
}

/** Header values this long are not codes or ids; ignoring them bounds what the facts carry. */
const MAX_HEADER_FACT_LENGTH = 256;

function firstHeader(headers: HeaderMap | undefined, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers?.[name];
    const text = typeof value === "string" ? nonEmpty(value) : undefined;
    if (text !== undefined && text.length <= MAX_HEADER_FACT_LENGTH) return text;
  }
  return undefined;
}

/** The body's own reading of the server clock: exact, so the estimator prefers it. */
function bodyTime(obs: Observation, parsed: ParsedErrorBody): TimeEvidence[] {
  const { serverTimeMs } = parsed.facts;
  const resolutionMs = parsed.serverTimeResolutionMs;
  if (serverTimeMs === undefined || resolutionMs === undefined) return [];
  const source: TimeSource =
    parsed.timeSource ?? (obs.provider === "azure" ? "azure-detail-time" : "s3-server-time");
  return [{ source, serverTimeMs, resolutionMs, fromBody: true }];
}
