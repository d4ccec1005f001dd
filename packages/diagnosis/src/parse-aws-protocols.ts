import { type ParsedErrorBody, nonEmpty, readCapped, setFact } from "./error-body.js";
import { parseHttpDate } from "./http-date.js";
import { readAwsTimeComplaint } from "./parse-aws-time.js";
import type { ErrorFacts, HeaderMap } from "./types.js";

/**
 * The error shapes of the AWS protocols other than S3's restXml, read into neutral facts:
 *
 * - awsJson1_0 / awsJson1_1 (DynamoDB, SQS, Kinesis, KMS, Secrets Manager...):
 *   `{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"..."}`.
 * - restJson1 (Lambda, API Gateway...): `{"message":"..."}` (or `Message`), the code in the
 *   `x-amzn-ErrorType` header (`InvalidSignatureException:http://internal.amazon.com/...`).
 *
 * (awsQuery's `<ErrorResponse><Error>` and ec2Query's `<Response><Errors><Error>` are read by
 * the XML reader, `readErrorElement`, with S3's fields.)
 *
 * What these services say about time is in the message, and it is exact: "Signature expired:
 * 20261204T101500Z is now earlier than 20261204T102501Z (20261204T103001Z - 5 min.)" names the
 * request's signing time first and the server's own time in the parentheses, with the window;
 * "Signature not yet current: X is still later than Y (Z + 5 min.)" likewise. A signature
 * mismatch quotes the canonical request and the string to sign the server computed.
 */

/** Facts from an AWS JSON-protocol error body; {} for anything that is not one. Never throws. */
export function parseAwsJsonError(body: string): ErrorFacts {
  return readAwsJsonError(body).facts;
}

/** As {@link parseAwsJsonError}, keeping how finely the message stated the server's time. */
export function readAwsJsonError(body: string): ParsedErrorBody {
  let document: unknown;
  try {
    document = JSON.parse(readCapped(body));
  } catch {
    return { facts: {} };
  }
  if (!isRecord(document)) return { facts: {} };
  const facts: ErrorFacts = {};
  const type =
    stringOf(document["__type"]) ?? stringOf(document["code"]) ?? stringOf(document["Code"]);
  setFact(facts, "code", type === undefined ? undefined : codeOf(type));
  setFact(
    facts,
    "message",
    stringOf(document["message"]) ??
      stringOf(document["Message"]) ??
      stringOf(document["errorMessage"]),
  );
  // A JSON document that names neither is some other service's, not an AWS error.
  if (facts.code === undefined && facts.message === undefined) return { facts: {} };
  return withMessageFacts({ facts });
}

/** Route 53 and older Query services: "Request timestamp: <HTTP date> expired. It must be within 300 secs/ of server time." */
const TIMESTAMP_EXPIRED =
  /Request timestamp: ([^\n]{10,40}?) expired\. It must be within (\d{1,6}) secs/;
const CANONICAL =
  /The Canonical String for this request should have been\n'([\s\S]*?)'\n\nThe String-to-Sign should have been\n'([\s\S]*?)'\n?/;

/** The times, window and signing strings an AWS error message states. Never throws. */
export function readAwsErrorMessage(message: string | undefined): ParsedErrorBody {
  const facts: ErrorFacts = {};
  if (typeof message !== "string") return { facts };
  const text = readCapped(message);
  const complaint = readAwsTimeComplaint(text);
  if (complaint) {
    facts.requestTimeMs = complaint.requestTimeMs;
    facts.serverTimeMs = complaint.serverTimeMs;
    facts.maxAllowedSkewMs = complaint.windowMs;
    // The compact form states whole seconds.
    return withCanonical(text, { facts, serverTimeResolutionMs: 1000 });
  }
  const timestamp = TIMESTAMP_EXPIRED.exec(text);
  if (timestamp) {
    setFact(facts, "requestTimeMs", parseHttpDate(timestamp[1]));
    setFact(facts, "maxAllowedSkewMs", Number(timestamp[2]) * 1000);
  }
  return withCanonical(text, { facts });
}

function withCanonical(text: string, parsed: ParsedErrorBody): ParsedErrorBody {
  const canonical = CANONICAL.exec(text);
  if (canonical) {
    setFact(parsed.facts, "canonicalRequest", nonBlank(canonical[1]));
    setFact(parsed.facts, "stringToSign", nonBlank(canonical[2]));
  }
  return parsed;
}

/**
 * Adds what the message of already-read facts states (times, window, signing strings), unless
 * the body said it in fields of its own (S3's `ServerTime`, `StringToSign`): those win.
 */
export function withMessageFacts(parsed: ParsedErrorBody): ParsedErrorBody {
  const { facts } = parsed;
  if (facts.message === undefined) return parsed;
  const stated = readAwsErrorMessage(facts.message);
  const merged: ErrorFacts = { ...stated.facts, ...facts };
  if (facts.serverTimeMs !== undefined || stated.facts.serverTimeMs === undefined) {
    return { ...parsed, facts: merged };
  }
  return {
    facts: merged,
    ...(stated.serverTimeResolutionMs === undefined
      ? {}
      : { serverTimeResolutionMs: stated.serverTimeResolutionMs }),
    timeSource: "aws-signature-message",
  };
}

/**
 * The code an AWS JSON service names in a header: restJson1's `x-amzn-ErrorType` (the type
 * before any `:` and namespace URL) or the Query-compatible `x-amzn-query-error`
 * (`Code;Sender`). Undefined when neither is present.
 */
export function awsErrorTypeHeader(headers: HeaderMap | undefined): string | undefined {
  const type = headers?.["x-amzn-errortype"];
  if (typeof type === "string") return codeOf(type.split(":", 1)[0] ?? "");
  const query = headers?.["x-amzn-query-error"];
  if (typeof query === "string") return codeOf(query.split(";", 1)[0] ?? "");
  return undefined;
}

/** Values this long are not codes. */
const MAX_CODE_LENGTH = 256;

/** `com.amazon.coral.service#InvalidSignatureException` names `InvalidSignatureException`. */
function codeOf(type: string): string | undefined {
  const code = nonEmpty(type.slice(type.lastIndexOf("#") + 1));
  return code !== undefined && code.length <= MAX_CODE_LENGTH ? code : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? nonEmpty(value) : undefined;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
