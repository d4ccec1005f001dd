import { type ParsedErrorBody, nonEmpty, readCapped, setFact } from "./error-body.js";
import { readErrorElement } from "./error-xml.js";
import { parseHttpDate } from "./http-date.js";
import { parseIsoTime } from "./iso-time.js";
import type { ErrorFacts } from "./types.js";

/**
 * Azure Storage error bodies. The evidence is prose: the server's clock in the `Time:` line of
 * `<Message>`, and in `<AuthenticationErrorDetail>` the request's `x-ms-date`, a SAS's
 * start/expiry and the server's "Current" time, or the string the server signed. Real Azure
 * writes 7 fractional digits; Azurite writes 3 and pretty-prints.
 */

/** Facts from an Azure Storage XML error body; {} for anything that is not one. Never throws. */
export function parseAzureErrorXml(body: string): ErrorFacts {
  return readAzureErrorXml(body).facts;
}

/** As {@link parseAzureErrorXml}, keeping how finely the server's time was stated. */
export function readAzureErrorXml(body: string): ParsedErrorBody {
  const children = readErrorElement(body);
  if (!children) return { facts: {} };
  const message = children.get("Message");
  const detail = children.get("AuthenticationErrorDetail");
  const fromDetail = detail === undefined ? { facts: {} } : readAzureAuthenticationDetail(detail);
  const facts: ErrorFacts = { ...fromDetail.facts };
  setFact(facts, "code", nonEmpty(children.get("Code")));
  setFact(facts, "message", nonEmpty(message));
  setFact(
    facts,
    "requestId",
    message === undefined ? undefined : messageLine(message, "RequestId"),
  );
  // The Time: line is the more precise reading; "Current [...]" is whole seconds.
  const time = parseIsoTime(message === undefined ? undefined : messageLine(message, "Time"));
  if (time) {
    facts.serverTimeMs = time.ms;
    return { facts, serverTimeResolutionMs: time.resolutionMs };
  }
  const resolution = fromDetail.serverTimeResolutionMs;
  return resolution === undefined ? { facts } : { facts, serverTimeResolutionMs: resolution };
}

/**
 * Facts from an `AuthenticationErrorDetail` text alone (the SDK's `RestError` carries it without
 * the body). Never throws.
 */
export function readAzureAuthenticationDetail(detail: string): ParsedErrorBody {
  if (typeof detail !== "string") return { facts: {} };
  const text = readCapped(detail);
  const facts: ErrorFacts = {};
  setFact(facts, "detail", nonEmpty(text));
  setFact(
    facts,
    "requestTimeMs",
    dateIn(text, /Request date header (?:too (?:old|new)|not yet valid): '([^']{0,64})'/),
  );
  setFact(facts, "expiresAtMs", dateIn(text, /Signed expiry time \[([^\]]{0,64})\]/));
  setFact(facts, "startsAtMs", dateIn(text, /signed start time \[([^\]]{0,64})\]/));
  setFact(facts, "startsAtMs", dateIn(text, /\bStart \[([^\]]{0,64})\]/));
  setFact(facts, "expiresAtMs", dateIn(text, /\bExpiry \[([^\]]{0,64})\]/));
  const mac = readMacMismatch(text);
  setFact(facts, "signatureProvided", mac.signature);
  setFact(facts, "stringToSign", mac.stringToSign);
  const current = dateIn(text, /\bCurrent \[([^\]]{0,64})\]/);
  if (current === undefined) return { facts };
  facts.serverTimeMs = current;
  return { facts, serverTimeResolutionMs: 1000 };
}

/**
 * Facts from the error details a `RestError` carries once the SDK parsed the body
 * (`errorCode`, `message`, `authenticationErrorDetail`, any casing). Never throws.
 */
export function readAzureErrorDetails(details: Readonly<Record<string, unknown>>): ParsedErrorBody {
  const get = (...names: string[]) => {
    for (const name of names) {
      const value = details[name];
      if (typeof value === "string") return nonEmpty(readCapped(value));
    }
    return undefined;
  };
  const detail = get("authenticationErrorDetail", "AuthenticationErrorDetail");
  const parsed = detail === undefined ? { facts: {} } : readAzureAuthenticationDetail(detail);
  const facts: ErrorFacts = { ...parsed.facts };
  setFact(facts, "code", get("errorCode", "code", "Code"));
  setFact(facts, "message", get("message", "Message"));
  return parsed.serverTimeResolutionMs === undefined
    ? { facts }
    : { facts, serverTimeResolutionMs: parsed.serverTimeResolutionMs };
}

/** `readAzureAuthenticationDetail(detail).facts`, for callers that need no resolution. */
export function parseAzureAuthenticationDetail(detail: string): ErrorFacts {
  return readAzureAuthenticationDetail(detail).facts;
}

/** The value of a `Name:value` line; real Azure separates lines with "\n", some renderings with spaces. */
function messageLine(message: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}:(\\S{1,64})(?!\\S)`).exec(message);
  return match?.[1];
}

/** The HTTP-date captured by `pattern`'s first group (bounded: a date is short, and unbounded groups go quadratic on hostile text). */
function dateIn(text: string, pattern: RegExp): number | undefined {
  return parseHttpDate(pattern.exec(text)?.[1]);
}

const MAC_PREFIX = "The MAC signature found in the HTTP request '";
const STRING_TO_SIGN_PREFIX = "Server used following string to sign: '";

/**
 * "The MAC signature found in the HTTP request '<sig>' is not the same as any computed
 * signature. Server used following string to sign: '<string>'." The string to sign may itself
 * hold quotes (a blob name), so it runs to the last quote, not the next one.
 */
function readMacMismatch(text: string): { signature?: string; stringToSign?: string } {
  const result: { signature?: string; stringToSign?: string } = {};
  const macAt = text.indexOf(MAC_PREFIX);
  if (macAt >= 0) {
    const start = macAt + MAC_PREFIX.length;
    const end = text.indexOf("'", start);
    if (end > start) result.signature = text.slice(start, end);
  }
  const signAt = text.indexOf(STRING_TO_SIGN_PREFIX);
  if (signAt >= 0) {
    const start = signAt + STRING_TO_SIGN_PREFIX.length;
    const end = text.lastIndexOf("'");
    if (end > start) result.stringToSign = text.slice(start, end);
  }
  return result;
}
