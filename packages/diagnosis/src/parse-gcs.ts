import { nonEmpty, readCapped, setFact } from "./error-body.js";
import type { ErrorFacts } from "./types.js";

/**
 * Google's JSON error bodies: the Cloud Storage JSON API's
 * `{"error":{"code":401,"message":"...","errors":[{"reason":"authError"}]}}` and the OAuth token
 * endpoint's `{"error":"invalid_grant","error_description":"Invalid JWT: ..."}`, which is where
 * a skewed service-account grant fails. GCS's XML API errors are S3-shaped: see parse-s3.ts.
 */

/** Facts from a Google JSON error body; {} for anything that is not one. Never throws. */
export function parseGcsErrorJson(body: string): ErrorFacts {
  return readGoogleErrorDocument(parseJson(body));
}

/**
 * Facts from a Google error document an SDK already parsed (gaxios hands the token endpoint's
 * reply over as an object); {} for anything that is not one. Never throws.
 */
export function readGoogleErrorDocument(document: unknown): ErrorFacts {
  if (!isRecord(document)) return {};
  const error = document["error"];
  if (typeof error === "string") return oauthFacts(error, document["error_description"]);
  if (isRecord(error)) return apiFacts(error);
  return {};
}

/** RFC 6749 section 5.2: the code is `error`; the description is all the explanation there is. */
function oauthFacts(error: string, description: unknown): ErrorFacts {
  const facts: ErrorFacts = {};
  setFact(facts, "code", nonEmpty(error));
  const text = typeof description === "string" ? nonEmpty(description) : undefined;
  setFact(facts, "message", text);
  setFact(facts, "detail", text);
  return facts;
}

/**
 * The JSON API's `errors[].reason` (`authError`, `notFound`) names the failure most precisely;
 * newer responses also carry a gRPC-style `status`; the HTTP `code` is the last resort.
 */
function apiFacts(error: Record<string, unknown>): ErrorFacts {
  const facts: ErrorFacts = {};
  setFact(
    facts,
    "code",
    firstReason(error["errors"]) ?? stringOf(error["status"]) ?? codeOf(error["code"]),
  );
  setFact(facts, "message", stringOf(error["message"]));
  return facts;
}

function firstReason(errors: unknown): string | undefined {
  if (!Array.isArray(errors)) return undefined;
  const first: unknown = errors[0];
  return isRecord(first) ? stringOf(first["reason"]) : undefined;
}

function codeOf(code: unknown): string | undefined {
  if (typeof code === "number" && Number.isInteger(code)) return String(code);
  return stringOf(code);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? nonEmpty(value) : undefined;
}

function parseJson(body: string): unknown {
  if (typeof body !== "string") return undefined;
  const text = readCapped(body).trim();
  // Only an object can be an error body; skipping the rest spares JSON.parse a binary blob.
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
