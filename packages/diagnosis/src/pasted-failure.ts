import { systemClock } from "./clock.js";
import { diagnose } from "./diagnose.js";
import { decodeBackslashes, findXmlErrors } from "./embedded-error.js";
import { readCapped, readEvidence } from "./evidence.js";
import { parseHttpDate } from "./http-date.js";
import { readHttpTranscript, type HttpTranscript } from "./http-transcript.js";
import { parseIsoTime } from "./iso-time.js";
import {
  findObjectLiterals,
  isObject,
  type Literal,
  type LiteralObject,
} from "./literal-reader.js";
import { clientClockOf, readLogReadings } from "./log-clock.js";
import { readAzureAuthenticationDetail } from "./parse-azure.js";
import { readAwsTimeComplaint } from "./parse-aws-time.js";
import { mergePrinted, type PrintedError, readPrintedErrors } from "./printed-error.js";
import { readSdkError, type SdkErrorParts } from "./sdk-error.js";
import { signedFactsOfUrl } from "./signed-url.js";
import { parseAmzDate, parseV4StringToSign } from "./signing-diff.js";
import { readSigningLog, type SigningLog } from "./signing-log.js";
import type {
  ClientEvidence,
  Clock,
  Diagnosis,
  ErrorFacts,
  HeaderMap,
  Observation,
  OffsetEstimate,
  Provider,
  SignedFacts,
} from "./types.js";
import { cutAt } from "./redact.js";

/**
 * Turns whatever a person pasted into an observation the core can diagnose. Read by shape,
 * wherever in the text it is: raw XML/JSON error bodies; `curl -i`/`-v` output and HTTP dumps,
 * with command lines or log lines before them; SDK errors printed as JSON or by `util.inspect`
 * (AWS SDK for JavaScript v2 and v3, Azure `RestError`, gaxios), by Python (botocore
 * `ClientError`, tracebacks, Azure, google-auth), Go, Java, .NET and the AWS CLI, including debug
 * logs that carry the canonical request and string to sign; Azure Storage Explorer and AzCopy
 * messages; Google `invalid_grant` errors in any language; MinIO, Ceph, R2 and other
 * S3-compatible text; log lines with an error inside; and the one-line AWS messages that carry
 * both clocks. `--provider` overrides the detected provider.
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
  | "oauth-text"
  | "aws-json"
  | "sdk-error-text"
  | "error-text";

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
  /** What was recognised in the text, in words (the error body, the request, the debug log...). */
  recognised: string[];
  /** What to paste to make the diagnosis surer, given what was missing. */
  pasteInstead: string[];
  /** The endpoint the failure was sent to (`https://host[:port]`), when the text names it. */
  endpoint?: string;
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
  /** The SDK error object's own `time` (AWS SDK v2): the client's clock when the error came. */
  time?: number;
}

/** Options of `readPastedFailure`. */
export interface ReadPastedOptions {
  /** The local clock, as a bound on when the failure happened. @default systemClock */
  clock?: Clock;
}

/**
 * Reads a failure as a person pastes it. Undefined when the text names no error at all (no
 * error code, status, message or detail the core knows); text with an error code is always
 * read, as far as it goes. Never throws.
 */
export function readPastedFailure(
  raw: string,
  forced?: Provider,
  options: ReadPastedOptions = {},
): PastedFailure | undefined {
  try {
    return read(raw, forced, options.clock ?? systemClock);
  } catch {
    return undefined;
  }
}

function read(raw: string, forced: Provider | undefined, clock: Clock): PastedFailure | undefined {
  const text = readCapped(raw)
    .replace(/^\uFEFF/, "")
    .replace(/\r\n/g, "\n")
    .trim();
  if (text === "") return undefined;
  const recognised: string[] = [];
  const transcript = readHttpTranscript(text);
  recognised.push(...transcript.sources);
  const parts = readContent(text, forced, recognised);
  const printed = mergePrinted(readPrintedErrors(text));
  if (printed) recognised.push(printed.source);
  if (!parts && !printed && !proseParts(text)) return undefined;
  const content = parts ?? proseParts(text) ?? { shape: "sdk-error-text" as const, headers: {} };
  if (!parts && proseParts(text)) recognised.push(describe(content.shape));
  const headers: Record<string, string> = {
    ...transcript.responseHeaders,
    ...(content.headers as Record<string, string>),
  };
  const provider =
    forced ?? content.provider ?? providerFromHeaders(headers) ?? providerFromText(text) ?? "s3";
  const status = transcript.status ?? content.status ?? printed?.status;
  const observation: Observation = {
    provider,
    host: "unknown",
    sentAt: 0,
    receivedAt: 0,
    status: status ?? 0,
    headers: headers as HeaderMap,
  };
  if (content.body !== undefined) observation.body = content.body;
  if (content.document) observation.document = content.document;
  if (content.fields) observation.fields = content.fields;
  const facts = { ...readEvidence(observation).facts };
  supplement(facts, printed, text, provider, headers, recognised);
  if (!facts.code && !facts.message && !facts.detail && !isErrorStatus(status)) return undefined;
  if (content.tokenGrant || isOauthCode(facts.code)) observation.tokenGrant = true;
  if (status === undefined) observation.status = inferStatus(facts.code);

  const signing = readSigningLog(text);
  recognised.push(...signing.sources);
  const url = findSignedUrl(text, transcript);
  const signed = signedFacts(signing, url, transcript, text);
  if (url) {
    observation.presigned = true;
    recognised.push("signed URL (its own times, scope and signed headers)");
  }
  if (Object.keys(signed).length > 0) observation.signed = signed;
  observation.client = clientEvidence(text, signed, facts, signing, content, clock, recognised);

  const failure: PastedFailure = {
    provider,
    shape: content.shape,
    http: transcript.status !== undefined,
    observation,
    statusInferred: status === undefined,
    facts,
    recognised: unique(recognised),
    pasteInstead: pasteInstead(provider, facts, observation),
  };
  const endpoint = endpointOf(text, transcript, observation);
  if (endpoint) failure.endpoint = endpoint;
  return failure;
}

/** Options of `diagnosePasted`. */
export interface DiagnosePastedOptions {
  /** The provider, when the text does not tell. */
  provider?: Provider;
  /**
   * A measurement of this machine's clock against the endpoint (`skewguard skew`, `doctor error
   * --check-clock`): server minus local, folded into the verdict.
   */
  estimate?: OffsetEstimate;
  /** The local clock, as a bound on when the failure happened. @default systemClock */
  clock?: Clock;
}

/**
 * The diagnosis of a failure as a person pastes it (an error body, `curl -v` output, an SDK
 * error as printed, a debug log...): the same judge the adapters use. Undefined when the text
 * holds no recognisable error.
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
  const failure = readPastedFailure(text, options.provider, {
    ...(options.clock ? { clock: options.clock } : {}),
  });
  if (!failure) return undefined;
  const diagnosis = diagnose({
    observation: failure.observation,
    facts: failure.facts,
    ...(options.estimate ? { estimate: options.estimate } : {}),
    resentOnCorrectedClock: false,
  });
  return { failure, diagnosis };
}

// ---------------------------------------------------------------------------------------------
// The error content

function readContent(
  text: string,
  forced: Provider | undefined,
  recognised: string[],
): Parts | undefined {
  if (text.startsWith("<")) {
    const parts = readXml(text, forced);
    if (parts) {
      recognised.push(describe(parts.shape));
      return parts;
    }
  }
  if (text.startsWith("{")) {
    const value = parseJson(text);
    const parts = isRecord(value) ? readJson(value, text, forced) : undefined;
    if (parts) {
      recognised.push(describe(parts.shape));
      return parts;
    }
  }
  const xml = findXmlErrors(text)[0];
  if (xml !== undefined) {
    const parts = readXml(xml, forced);
    if (parts) {
      recognised.push(`${describe(parts.shape)} (inside the text)`);
      return parts;
    }
  }
  for (const object of findObjectLiterals(text)) {
    const parts = readObject(object, forced);
    if (parts) {
      recognised.push(`${describe(parts.shape)} (inside the text)`);
      return parts;
    }
  }
  return undefined;
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
  if (/<Details>|^<\?xml version='1\.0'|Google secret key/.test(body)) return "gcs";
  return "s3";
}

function readJson(
  value: Record<string, unknown>,
  text: string,
  forced: Provider | undefined,
): Parts | undefined {
  if (value["error"] !== undefined) return googleJson(value, text);
  return readSdkErrorInput(value, forced) ?? awsJson(value) ?? messageOnly(value);
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
 * An SDK error as an object (JSON or util.inspect): the core reads it exactly as the adapters
 * read live errors (`readSdkError`), parsed documents and fields as they are.
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
  const fields = parts.fields ? withLambdaMessage(parts.fields) : undefined;
  const headers = { ...(parts.headers as Record<string, string>) };
  // An Azure RestError's details hold the response headers (`date`, `x-ms-request-id`).
  if (provider === "azure" && isRecord(value["details"])) {
    for (const [name, item] of Object.entries(value["details"])) {
      if (typeof item === "string" && /^(?:date|x-ms-[\w-]+)$/.test(name)) headers[name] ??= item;
    }
  }
  const time = typeof value["time"] === "string" ? parseIsoTime(value["time"])?.ms : undefined;
  return {
    provider,
    shape,
    headers,
    ...(parts.status === undefined ? {} : { status: parts.status }),
    ...(parts.body === undefined ? {} : { body: parts.body }),
    ...(parts.document ? { document: parts.document } : {}),
    ...(fields ? { fields } : {}),
    ...(typeof parts.document?.["error"] === "string" ? { tokenGrant: true } : {}),
    ...(time === undefined ? {} : { time }),
  };
}

/** Lambda's `errorMessage` is the error's message. */
function withLambdaMessage(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...fields };
  if (out["message"] === undefined && out["errorMessage"] !== undefined) {
    out["message"] = out["errorMessage"];
  }
  return out;
}

/** An AWS JSON-protocol error body: `{"__type": "...#Code", "message": "..."}`. */
function awsJson(value: Record<string, unknown>): Parts | undefined {
  const type = typeof value["__type"] === "string" ? value["__type"] : undefined;
  const code =
    type?.split("#").pop() ?? (typeof value["code"] === "string" ? value["code"] : undefined);
  const message = stringOf(value["message"]) ?? stringOf(value["Message"]);
  if (!code || (type === undefined && message === undefined)) return undefined;
  const fields: Record<string, string> = { Code: code };
  if (message) fields["message"] = message;
  return { provider: "s3", shape: "aws-json", headers: {}, fields };
}

/** `{"message": "..."}` and its kin whose only content is a message the core knows. */
function messageOnly(value: Record<string, unknown>): Parts | undefined {
  const message =
    stringOf(value["message"]) ?? stringOf(value["errorMessage"]) ?? stringOf(value["Message"]);
  if (!message) return undefined;
  const azure =
    /Signature not valid in the specified time frame|Signed expiry time|Request date header too|The MAC signature found/i.test(
      message,
    );
  if (azure) {
    return {
      provider: "azure",
      shape: "azure-detail-text",
      headers: {},
      document: { errorCode: "AuthenticationFailed", authenticationErrorDetail: message },
    };
  }
  return { shape: "error-text", headers: {}, fields: { message } };
}

/** An object found inside the text: an SDK error, an error document, or a nested one (`err`, `reason`). */
function readObject(object: LiteralObject, forced: Provider | undefined): Parts | undefined {
  const candidates: LiteralObject[] = [];
  collect(object, 0, candidates);
  for (const candidate of candidates) {
    const value = candidate as Record<string, unknown>;
    if (typeof value["error"] === "string" || isRecord(value["error"])) {
      const text = JSON.stringify(value);
      const parts = googleJson(value, text);
      if (parts) return parts;
    }
    const sdk = readSdkErrorInput(value, forced);
    if (sdk && (sdk.fields?.["Code"] || sdk.document || sdk.body)) return sdk;
    const aws = awsJson(value);
    if (aws) return aws;
  }
  return undefined;
}

/** The object and the objects inside it, outermost first. */
function collect(value: Literal, depth: number, out: LiteralObject[]): void {
  if (!isObject(value) || depth > 4) return;
  out.push(value);
  for (const item of Object.values(value)) collect(item, depth + 1, out);
}

/** Which service an SDK error came from, by what the core read from it. */
function sdkProvider(value: Record<string, unknown>, parts: SdkErrorParts): Provider {
  if (parts.fields) return "s3";
  if (parts.document?.["error"] !== undefined || Array.isArray(value["errors"])) return "gcs";
  return "azure";
}

/** Prose the core knows with no structure around it: Azure's detail, Google's description. */
function proseParts(text: string): Parts | undefined {
  if (/Invalid JWT|invalid_grant/i.test(text)) {
    const description =
      /invalid_grant:?\s*"?\s*([^\n"']+)/.exec(text)?.[1]?.trim() ?? cutAt(text, 300);
    const document = { error: "invalid_grant", error_description: description };
    return { provider: "gcs", shape: "oauth-text", headers: {}, document, tokenGrant: true };
  }
  const complaint = /Signature (?:expired|not yet current): \d{8}T\d{6}Z[^\n]*/.exec(text);
  if (complaint) return { shape: "error-text", headers: {}, fields: { message: complaint[0] } };
  const azure =
    /(Request date header too (?:old|new)[^\n]*|Signature not valid in the specified time frame[^\n]*|Signed expiry time[^\n]*|The MAC signature found[\s\S]*?(?=\nAt |$))/i.exec(
      text,
    );
  if (azure) {
    return {
      provider: "azure",
      shape: "azure-detail-text",
      headers: {},
      document: { errorCode: "AuthenticationFailed", authenticationErrorDetail: azure[1]! },
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Facts the structured content lacked

function supplement(
  facts: ErrorFacts,
  printed: PrintedError | undefined,
  text: string,
  provider: Provider,
  headers: Readonly<Record<string, string>>,
  recognised: string[],
): void {
  if (printed) {
    if (facts.code === undefined && printed.code !== undefined) facts.code = printed.code;
    if (facts.message === undefined && printed.message !== undefined)
      facts.message = printed.message;
    if (facts.requestId === undefined && printed.requestId !== undefined) {
      facts.requestId = printed.requestId;
    }
    if (facts.detail === undefined && printed.detail !== undefined) {
      Object.assign(facts, { ...readAzureAuthenticationDetail(printed.detail).facts, ...facts });
    }
  }
  const complaint = readAwsTimeComplaint(facts.message) ?? readAwsTimeComplaint(text);
  if (complaint) {
    facts.requestTimeMs ??= complaint.requestTimeMs;
    facts.serverTimeMs ??= complaint.serverTimeMs;
    facts.maxAllowedSkewMs ??= complaint.windowMs;
    facts.message ??= cutAt(text, 300);
    recognised.push("AWS clock complaint with both times (Signature expired / not yet current)");
  }
  if (provider === "azure" && facts.serverTimeMs === undefined) {
    const time = parseIsoTime(/^Time:(\S{20,40})$/m.exec(text)?.[1]);
    if (time) facts.serverTimeMs = time.ms;
  }
  const date = parseHttpDate(headers["date"]);
  if (date !== undefined) {
    facts.serverDateMs = date;
    recognised.push("the response's Date header (the server's clock)");
  }
  if (facts.code === undefined && facts.message !== undefined) {
    const message = decodeBackslashes(facts.message);
    if (message !== facts.message) facts.message = message;
  }
}

// ---------------------------------------------------------------------------------------------
// What the client signed, and its own record

const URL_PATTERN = /https?:\/\/[^\s'"<>`\\]+/g;

/** A signed URL the request was made with: in the command line, the request line, the text. */
function findSignedUrl(text: string, transcript: HttpTranscript): string | undefined {
  const host = transcript.requestHeaders["host"];
  const target = transcript.request?.target;
  const candidates: string[] = [];
  if (target?.startsWith("http")) candidates.push(target);
  else if (target && host) candidates.push(`https://${host}${target}`);
  for (const match of text.matchAll(URL_PATTERN)) candidates.push(match[0]);
  for (const candidate of candidates) {
    const url = candidate.replace(/[),.;]+$/, "");
    if (
      !/[?&](?:X-Amz-Signature|X-Amz-Credential|X-Goog-Signature|X-Goog-Credential|sig|Signature|GoogleAccessId)=/i.test(
        url,
      )
    ) {
      continue;
    }
    if (signedFactsOfUrl(url)) return url;
  }
  return undefined;
}

function signedFacts(
  signing: SigningLog,
  url: string | undefined,
  transcript: HttpTranscript,
  text: string,
): SignedFacts {
  const signed: SignedFacts = { ...(url ? signedFactsOfUrl(url)?.signed : {}) };
  const set = <K extends keyof SignedFacts>(key: K, value: SignedFacts[K] | undefined) => {
    if (value !== undefined && signed[key] === undefined) signed[key] = value;
  };
  set("stringToSign", signing.stringToSign);
  set("canonicalRequest", signing.canonicalRequest);
  set("algorithm", signing.algorithm);
  set("accessKeyId", signing.accessKeyId);
  set("region", signing.region);
  set("service", signing.service);
  if (signing.scopeDate && signing.region && signing.service) {
    set("credentialScope", `${signing.scopeDate}/${signing.region}/${signing.service}`);
  }
  const clientSts = signing.stringToSign ? parseV4StringToSign(signing.stringToSign) : undefined;
  set("signedAtMs", signing.requestTimeMs ?? parseAmzDate(clientSts?.date));
  if (url) {
    signed.url = url
      .replace(/([?&])(?:X-Amz-Signature|X-Goog-Signature|sig)=[^&]*&?/gi, "$1")
      .replace(/[?&]$/, "");
    const query = new URL(url).searchParams;
    const list = query.get("X-Amz-SignedHeaders") ?? query.get("X-Goog-SignedHeaders");
    if (list) set("signedHeaders", list.toLowerCase().split(";"));
    signed.sessionToken = query.has("X-Amz-Security-Token") || query.has("x-amz-security-token");
  } else if (signing.algorithm !== undefined) {
    signed.sessionToken = signing.sessionToken === true;
  } else if (signing.sessionToken) {
    signed.sessionToken = true;
  }
  set("signedHeaders", signing.signedHeaders);
  const requestHeaders = { ...transcript.requestHeaders };
  const stated = /\bContentType\s*:\s*["'`]([^"'`\n]{1,200})["'`]/.exec(text)?.[1];
  if (stated && requestHeaders["content-type"] === undefined)
    requestHeaders["content-type"] = stated;
  const canonicalHeaders = signing.canonicalRequest
    ? canonicalHeaderValues(signing.canonicalRequest)
    : {};
  const headers = { ...canonicalHeaders, ...requestHeaders };
  if (Object.keys(headers).length > 0) signed.headers = headers;
  return signed;
}

/** The `name:value` header lines of a canonical request. */
function canonicalHeaderValues(canonical: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of canonical.split("\n").slice(3)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

function clientEvidence(
  text: string,
  signed: SignedFacts,
  facts: ErrorFacts,
  signing: SigningLog,
  parts: Parts,
  clock: Clock,
  recognised: string[],
): ClientEvidence {
  const evidence: ClientEvidence = { lateSendSigns: lateSendSigns(text) };
  const readAt = clock.now();
  if (Number.isFinite(readAt)) evidence.readAtMs = readAt;
  const requestTime = signed.signedAtMs ?? facts.requestTimeMs;
  const readings = readLogReadings(text, requestTime ?? facts.serverTimeMs ?? facts.serverDateMs);
  if (parts.time !== undefined)
    readings.push({ ms: parts.time, line: Number.MAX_SAFE_INTEGER, zoned: true });
  const signingLine = signing.signingLine ?? requestLine(text);
  const clockOf = clientClockOf(readings, requestTime, signingLine);
  if (clockOf) {
    Object.assign(evidence, clockOf);
    recognised.push("the client's log timestamps (its own clock)");
  }
  return evidence;
}

/** The line of a wire log's request block (Go SDK `DEBUG Request`, botocore `Sending http request`). */
function requestLine(text: string): number | undefined {
  const m = /DEBUG Request|Sending http request/.exec(text);
  if (!m) return undefined;
  return text.slice(0, m.index).split("\n").length - 1;
}

/** Signs that a request waited between signing and sending. */
function lateSendSigns(text: string): string[] {
  const signs: string[] = [];
  const attempts = [...text.matchAll(/\b(?:ATTEMPT|attempt)[:= ]\s*(\d{1,3})\b/g)].map((m) =>
    Number(m[1]),
  );
  const most = Math.max(0, ...attempts);
  if (most > 1) signs.push(`a retry history: attempt ${most} went out with the same request`);
  const end = /\bEND RequestId: /.exec(text);
  if (
    end &&
    /\bSTART RequestId: /.test(text.slice(end.index)) &&
    /ERROR|Error|error/.test(text.slice(end.index))
  ) {
    signs.push(
      "the Lambda invocation that signed ended before the request was sent: the sandbox was frozen until the next invocation",
    );
  }
  if (/Retry needed|retrying request|Retrying in \d/i.test(text))
    signs.push("a retry resent the request");
  return signs;
}

// ---------------------------------------------------------------------------------------------
// Endpoint, provider, status

function endpointOf(
  text: string,
  transcript: HttpTranscript,
  observation: Observation,
): string | undefined {
  for (const match of text.matchAll(URL_PATTERN)) {
    try {
      const url = new URL(match[0].replace(/[),.;]+$/, ""));
      if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
    } catch {
      // not a URL
    }
  }
  const host = transcript.requestHeaders["host"] ?? /^Host: ?(\S+)$/im.exec(text)?.[1];
  if (host && /^[\w.-]+(?::\d{1,5})?$/.test(host)) return `https://${host}`;
  if (observation.tokenGrant) return "https://oauth2.googleapis.com";
  if (observation.provider === "gcs") return "https://storage.googleapis.com";
  return undefined;
}

function providerFromHeaders(headers: Readonly<Record<string, string>>): Provider | undefined {
  if (headers["x-ms-request-id"] !== undefined || headers["x-ms-error-code"] !== undefined)
    return "azure";
  if (headers["x-guploader-uploadid"] !== undefined) return "gcs";
  if (headers["x-amz-request-id"] !== undefined || headers["x-amzn-requestid"] !== undefined)
    return "s3";
  return undefined;
}

function providerFromText(text: string): Provider | undefined {
  if (
    /\bAzure\b|blob\.core\.windows\.net|x-ms-date|RequestFailedException|AuthenticationErrorDetail/i.test(
      text,
    )
  )
    return "azure";
  if (
    /googleapis\.com|invalid_grant|GoogleAccessId|X-Goog-|Google secret key|gsutil|gcloud/i.test(
      text,
    )
  )
    return "gcs";
  return undefined;
}

function isOauthCode(code: string | undefined): boolean {
  return code === "invalid_grant" || code === "invalid_client" || code === "unauthorized_client";
}

function isErrorStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 400;
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

// ---------------------------------------------------------------------------------------------
// What to paste for a surer answer

function pasteInstead(provider: Provider, facts: ErrorFacts, observation: Observation): string[] {
  const out: string[] = [];
  const hasServerTime = facts.serverTimeMs !== undefined || facts.serverDateMs !== undefined;
  const hasRequestTime =
    facts.requestTimeMs !== undefined || observation.signed?.signedAtMs !== undefined;
  if (observation.tokenGrant) {
    if (!hasServerTime) {
      out.push(
        "the token endpoint's full reply with its Date header, or run `skewguard doctor error --check-clock` on the machine that signed the JWT",
      );
    }
    return out;
  }
  if (!hasServerTime || !hasRequestTime) {
    out.push(
      "the whole response with its headers (`curl -v`, or the SDK's debug log): its Date header against the request's time shows the clock; or run `skewguard doctor error --check-clock` on the machine that signed",
    );
  }
  if (provider === "azure" && facts.stringToSign === undefined) {
    out.push(
      "the response body's AuthenticationErrorDetail (the SDK's full error text, or the Storage Explorer / AzCopy log) and the StringToSign your code signed",
    );
  } else if (
    provider !== "azure" &&
    facts.stringToSign === undefined &&
    observation.signed?.stringToSign === undefined
  ) {
    out.push(
      "the SDK's debug log, which shows the canonical request and string to sign: `aws ... --debug`, boto3 `boto3.set_stream_logger('botocore', logging.DEBUG)`, Go `ClientLogMode: aws.LogSigning | aws.LogResponseWithBody`, Java `software.amazon.awssdk.auth.signer=DEBUG`; and the response body, which names the string the server signed",
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const SHAPE_WORDS: Readonly<Record<PastedShape, string>> = {
  "s3-xml": "S3-style XML error body",
  "gcs-xml": "GCS XML API error body",
  "azure-xml": "Azure Storage XML error body",
  "gcs-json": "GCS JSON API error body",
  "oauth-json": "Google OAuth token endpoint error",
  "aws-sdk-error": "AWS SDK error object",
  "azure-sdk-error": "Azure SDK RestError object",
  "gcs-sdk-error": "Google client library error object",
  "azure-detail-text": "Azure AuthenticationErrorDetail",
  "oauth-text": "Google OAuth error description",
  "aws-json": "AWS JSON-protocol error body",
  "sdk-error-text": "an SDK or tool's printed error",
  "error-text": "an error message",
};

function describe(shape: PastedShape): string {
  return SHAPE_WORDS[shape];
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
