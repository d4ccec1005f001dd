import { diagnose } from "./diagnose.js";
import { readCapped, readEvidence } from "./evidence.js";
import { readSdkError, type SdkErrorParts } from "./sdk-error.js";
import type {
  Diagnosis,
  ErrorFacts,
  HeaderMap,
  Observation,
  OffsetEstimate,
  Provider,
} from "./types.js";

/**
 * Turns whatever a person pasted into an observation the core can diagnose: a raw error body
 * (S3/GCS XML, Azure XML, Google JSON), an HTTP response as `curl -i` prints it, or an SDK error
 * printed as JSON (AWS SDK v3 `{"name":...,"$metadata":...}`, Azure `RestError`, gaxios).
 * Detection is by shape; `--provider` overrides it.
 */

/** The shapes recognised; stable names (JSON output). */
export type PastedShape =
  | "s3-xml"
  | "gcs-xml"
  | "azure-xml"
  | "gcs-json"
  | "oauth-json"
  | "aws-sdk-error"
  | "azure-sdk-error"
  | "gcs-sdk-error"
  | "azure-detail-text"
  | "oauth-text";

/** A pasted failure, read: what it is, and the observation and facts the judge works from. */
export interface PastedFailure {
  provider: Provider;
  shape: PastedShape;
  /** The input was an HTTP response with a status line and headers. */
  http: boolean;
  observation: Observation;
  /** The status was not in the input: guessed from the code. */
  statusInferred: boolean;
  /** What the error says, as the core read it. */
  facts: ErrorFacts;
}

interface Parts {
  provider?: Provider;
  shape: PastedShape;
  status?: number;
  headers: HeaderMap;
  body?: string;
  document?: Readonly<Record<string, unknown>>;
  fields?: Readonly<Record<string, string>>;
  tokenGrant?: boolean;
}

/**
 * Reads a failure as a person pastes it. Undefined when the text is none of the shapes above,
 * or names no error (no code, message or detail). Never throws.
 */
export function readPastedFailure(raw: string, forced?: Provider): PastedFailure | undefined {
  const text = readCapped(raw)
    .replace(/^\uFEFF/, "")
    .trim();
  const http = splitHttpResponse(text);
  const parts = readContent(http?.body ?? text, forced);
  if (!parts) return undefined;
  const headers = { ...(http?.headers ?? {}), ...parts.headers };
  const provider = forced ?? parts.provider ?? providerFromHeaders(headers) ?? "s3";
  const status = http?.status ?? parts.status;
  const observation: Observation = {
    provider,
    host: "unknown",
    sentAt: 0,
    receivedAt: 0,
    status: status ?? 0,
    headers: headers as HeaderMap,
  };
  if (parts.body !== undefined) observation.body = parts.body;
  if (parts.document) observation.document = parts.document;
  if (parts.fields) observation.fields = parts.fields;
  if (parts.tokenGrant) observation.tokenGrant = true;
  const { facts } = readEvidence(observation);
  if (!facts.code && !facts.message && !facts.detail) return undefined;
  if (status === undefined) observation.status = inferStatus(facts.code);
  return {
    provider,
    shape: parts.shape,
    http: http !== undefined,
    observation,
    statusInferred: status === undefined,
    facts,
  };
}

/** Options of `diagnosePasted`. */
export interface DiagnosePastedOptions {
  /** The provider, when the text does not tell. */
  provider?: Provider;
  /** A measurement of the endpoint's clock, folded into the verdict. */
  estimate?: OffsetEstimate;
}

/**
 * The diagnosis of a failure as a person pastes it (an error body, `curl -i` output, an SDK
 * error printed as JSON...): the same judge the adapters use. Undefined when the text holds no
 * recognisable error.
 *
 * @example
 * ```ts
 * const result = diagnosePasted(await readFile("error.txt", "utf8"));
 * if (result) console.log(result.diagnosis.cause, result.diagnosis.summary);
 * ```
 */
export function diagnosePasted(
  text: string,
  options: DiagnosePastedOptions = {},
): { failure: PastedFailure; diagnosis: Diagnosis } | undefined {
  const failure = readPastedFailure(text, options.provider);
  if (!failure) return undefined;
  const diagnosis = diagnose({
    observation: failure.observation,
    facts: failure.facts,
    ...(options.estimate ? { estimate: options.estimate } : {}),
    resentOnCorrectedClock: false,
  });
  return { failure, diagnosis };
}

/** Status codes the services answer these codes with, for inputs that did not say. */
function inferStatus(code: string | undefined): number {
  if (code === "ExpiredToken" || code === "invalid_grant" || code === "InvalidArgument") return 400;
  if (code === "authError" || code === "401") return 401;
  if (
    code === "NoSuchKey" ||
    code === "NoSuchBucket" ||
    code === "BlobNotFound" ||
    code === "notFound"
  )
    return 404;
  return 403;
}

/** `HTTP/1.1 403 Forbidden` + headers + blank line + body, as `curl -i` prints it. */
function splitHttpResponse(
  text: string,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const status = /^HTTP\/[\d.]+ (\d{3})/.exec(text);
  if (!status) return undefined;
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : "";
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(status[1]), headers, body: body.trim() };
}

function readContent(text: string, forced: Provider | undefined): Parts | undefined {
  if (text.startsWith("<")) return readXml(text, forced);
  if (text.startsWith("{")) {
    const value = parseJson(text);
    return isRecord(value) ? readJson(value, text, forced) : undefined;
  }
  return readText(text);
}

function readXml(body: string, forced: Provider | undefined): Parts | undefined {
  if (!/<Error[\s>]/.test(body)) return undefined;
  const provider = forced ?? xmlProvider(body);
  const shape: PastedShape =
    provider === "azure" ? "azure-xml" : provider === "gcs" ? "gcs-xml" : "s3-xml";
  return { provider, shape, headers: {}, body };
}

/**
 * Azure puts `RequestId:`/`Time:` lines in `<Message>` and may add `AuthenticationErrorDetail`;
 * GCS's XML API adds `<Details>` and quotes its declaration with single quotes.
 */
function xmlProvider(body: string): Provider {
  if (/<AuthenticationErrorDetail>|RequestId:[\w-]+\s+Time:/.test(body)) return "azure";
  if (/<Details>|^<\?xml version='1\.0'/.test(body)) return "gcs";
  return "s3";
}

function readJson(
  value: Record<string, unknown>,
  text: string,
  forced: Provider | undefined,
): Parts | undefined {
  if (value["error"] !== undefined) return googleJson(value, text);
  return readSdkErrorInput(value, forced);
}

/** `{"error":"invalid_grant",...}` is the OAuth endpoint; `{"error":{...}}` the JSON API. */
function googleJson(value: Record<string, unknown>, text: string): Parts | undefined {
  const oauth = typeof value["error"] === "string";
  if (!oauth && !isRecord(value["error"])) return undefined;
  const parts: Parts = {
    provider: "gcs",
    shape: oauth ? "oauth-json" : "gcs-json",
    headers: {},
    body: text,
  };
  if (oauth) parts.tokenGrant = true;
  return parts;
}

/**
 * An SDK error printed as JSON: the core reads it exactly as the adapters read live errors
 * (`readSdkError`), parsed documents and fields as they are, nothing serialised again.
 */
function readSdkErrorInput(
  value: Record<string, unknown>,
  forced: Provider | undefined,
): Parts | undefined {
  // `--provider s3` on a bare `{"Code": ...}` object: the fields of an AWS error.
  const aws =
    forced === "s3" && value["$metadata"] === undefined ? { ...value, $metadata: {} } : value;
  const parts = readSdkError(aws);
  if (!parts) return undefined;
  const provider = sdkProvider(aws, parts);
  const shape: PastedShape =
    provider === "s3"
      ? "aws-sdk-error"
      : provider === "azure"
        ? "azure-sdk-error"
        : "gcs-sdk-error";
  return {
    provider,
    shape,
    headers: parts.headers,
    ...(parts.status === undefined ? {} : { status: parts.status }),
    ...(parts.body === undefined ? {} : { body: parts.body }),
    ...(parts.document ? { document: parts.document } : {}),
    ...(parts.fields ? { fields: parts.fields } : {}),
    ...(typeof parts.document?.["error"] === "string" ? { tokenGrant: true } : {}),
  };
}

/** Which service an SDK error came from, by what the core read from it. */
function sdkProvider(value: Record<string, unknown>, parts: SdkErrorParts): Provider {
  if (parts.fields) return "s3";
  if (parts.document?.["error"] !== undefined || Array.isArray(value["errors"])) return "gcs";
  return "azure";
}

/** Bare prose: an Azure `AuthenticationErrorDetail` or an OAuth `error_description` on its own. */
function readText(text: string): Parts | undefined {
  if (/Invalid JWT|invalid_grant/i.test(text)) {
    const document = { error: "invalid_grant", error_description: text };
    return { provider: "gcs", shape: "oauth-text", headers: {}, document, tokenGrant: true };
  }
  if (
    /Request date header too (?:old|new)|Signature not valid in the specified time frame|Signed expiry time|The MAC signature found/i.test(
      text,
    )
  ) {
    return {
      provider: "azure",
      shape: "azure-detail-text",
      headers: {},
      document: { errorCode: "AuthenticationFailed", authenticationErrorDetail: text },
    };
  }
  return undefined;
}

function providerFromHeaders(headers: HeaderMap): Provider | undefined {
  if (headers["x-ms-request-id"] !== undefined || headers["x-ms-error-code"] !== undefined)
    return "azure";
  if (headers["x-guploader-uploadid"] !== undefined) return "gcs";
  if (headers["x-amz-request-id"] !== undefined) return "s3";
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
