import { type ParsedErrorBody, nonEmpty, readCapped, setFact } from "./error-body.js";
import { readErrorElement } from "./error-xml.js";
import { parseHttpDate } from "./http-date.js";
import { parseIsoTime } from "./iso-time.js";
import type { ErrorFacts } from "./types.js";

/**
 * S3 error bodies (`<Error><Code>RequestTimeTooSkewed</Code>...`), and the same shape from
 * GCS's XML API (which adds `<Details>`), read into neutral facts. The same element names
 * reach the adapters as properties when the AWS SDK parsed the body itself.
 */

/** Looks up one element (or SDK error property) by its S3 name. */
type FieldReader = (name: string) => string | undefined;

/** Facts from an S3 or GCS XML error body; {} for anything that is not one. Never throws. */
export function parseS3ErrorXml(body: string): ErrorFacts {
  return readS3ErrorXml(body).facts;
}

/** As {@link parseS3ErrorXml}, keeping how finely `<ServerTime>` was stated. */
export function readS3ErrorXml(body: string): ParsedErrorBody {
  const children = readErrorElement(body);
  if (!children) return { facts: {} };
  return readFields((name) => children.get(name));
}

/**
 * Facts from the properties the AWS SDK copies from an error body onto the error it throws
 * (`Code`, `ServerTime`, `StringToSign`, ...). Each value is capped like a body. Never throws.
 */
export function s3FieldsToFacts(fields: Readonly<Record<string, string>>): ErrorFacts {
  return readS3Fields(fields).facts;
}

/** As {@link s3FieldsToFacts}, keeping how finely `ServerTime` was stated. */
export function readS3Fields(fields: Readonly<Record<string, string>>): ParsedErrorBody {
  if (typeof fields !== "object" || fields === null) return { facts: {} };
  try {
    return readFields((name) => {
      if (!Object.hasOwn(fields, name)) return undefined;
      const value: unknown = fields[name];
      return typeof value === "string" ? readCapped(value) : undefined;
    });
  } catch {
    // A getter on an SDK error object may throw; no evidence beats a crash in an error path.
    return { facts: {} };
  }
}

function readFields(get: FieldReader): ParsedErrorBody {
  const facts: ErrorFacts = {};
  const text = (name: string) => nonEmpty(get(name));
  setFact(facts, "code", text("Code"));
  // The SDK moves `Message` to the standard `message` property.
  setFact(facts, "message", text("Message") ?? text("message"));
  setFact(facts, "requestId", text("RequestId"));
  setFact(facts, "detail", text("Details"));
  setFact(facts, "requestTimeMs", readRequestTime(text("RequestTime") ?? text("X-Amz-Date")));
  setFact(facts, "maxAllowedSkewMs", readCount(text("MaxAllowedSkewMilliseconds")));
  setFact(facts, "expiresSeconds", readCount(text("X-Amz-Expires")));
  setFact(facts, "expiresAtMs", parseIsoTime(text("Expires"))?.ms ?? gcsExpiredAt(facts.detail));
  // Compared verbatim with the client's: keep every byte, including edge whitespace.
  setFact(facts, "stringToSign", verbatim(get("StringToSign")));
  setFact(facts, "canonicalRequest", verbatim(get("CanonicalRequest")));
  setFact(facts, "accessKeyId", text("AWSAccessKeyId"));
  setFact(facts, "signatureProvided", text("SignatureProvided"));
  const serverTime = parseIsoTime(text("ServerTime"));
  if (!serverTime) return { facts };
  facts.serverTimeMs = serverTime.ms;
  return { facts, serverTimeResolutionMs: serverTime.resolutionMs };
}

/**
 * `RequestTime` is the compact SigV4 form, ISO, or for SigV2 the request's `Date` echoed with a
 * `+0000` zone; S3's "Request is not yet valid" puts epoch milliseconds in `X-Amz-Date`.
 */
function readRequestTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{10,16}$/.test(value)) return Number(value);
  return parseIsoTime(value)?.ms ?? parseHttpDate(value.replace(/ [+-]0000$/, " GMT"));
}

/** GCS states a signed URL's expiry only in prose: "Request signature expired at: <ISO>". */
function gcsExpiredAt(detail: string | undefined): number | undefined {
  const match = detail === undefined ? null : /expired at: (\S{1,64}?)\.?$/m.exec(detail);
  return parseIsoTime(match?.[1])?.ms;
}

/** A non-negative whole number within the safe-integer range; anything else is not a count. */
function readCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function verbatim(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
