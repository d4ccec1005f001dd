import type { ClockVerdict, ErrorFacts } from "./types.js";

/**
 * Classification as data: which error codes say the clock was wrong, which say it might have
 * been, and which never are. Names are the providers' own, compared exactly.
 */

/** The server itself said the request time was out of its window. */
export const DEFINITE_SKEW_CODES: ReadonlySet<string> = new Set([
  "RequestTimeTooSkewed",
  "RequestExpired",
  "RequestInTheFuture",
  "RequestTimeTooSkewedException",
]);

/** A signature mismatch: the signing time may be the culprit, or the key, or the request. */
export const POSSIBLE_SKEW_CODES: ReadonlySet<string> = new Set([
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "AuthFailure",
  "AuthenticationFailed",
  "InvalidSignature",
  "ExpiredToken",
]);

/** Codes the clock never causes: resending them is futile whatever the offset. */
export const NEVER_CLOCK_CODES: ReadonlySet<string> = new Set([
  "NoSuchKey",
  "NoSuchBucket",
  "NotFound",
  "BlobNotFound",
  "ContainerNotFound",
  "InvalidAccessKeyId",
  "AuthorizationPermissionMismatch",
  "AuthorizationFailure",
  "InsufficientAccountPermissions",
  "AccountIsDisabled",
]);

/**
 * Error codes the services answer signature and access failures with (and a few others people
 * paste): text holding one of these is an error, even when nothing else in it can be read.
 */
export const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set([
  ...DEFINITE_SKEW_CODES,
  ...POSSIBLE_SKEW_CODES,
  ...NEVER_CLOCK_CODES,
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationHeaderMalformed",
  "AuthorizationQueryParametersError",
  "InvalidRequest",
  "ExpiredTokenException",
  "ExpiredRequest",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidRegionName",
  "IllegalLocationConstraintException",
  "PermanentRedirect",
  "InvalidToken",
  "MissingSecurityHeader",
  "MissingAuthenticationToken",
  "IncompleteSignature",
  "InvalidAuthenticationInfo",
  "InvalidSecurity",
  "SignatureVersionNotSupported",
  "invalid_grant",
  "invalid_client",
  "unauthorized_client",
  "invalid_scope",
]);

/** Messages the services word the same everywhere, for text that gives the message but not the code. */
export const MESSAGE_CODES: ReadonlyArray<readonly [RegExp, string]> = [
  [/request signature we calculated does not match/i, "SignatureDoesNotMatch"],
  [
    /difference between the request time and the (?:current|server'?s) time is too large/i,
    "RequestTimeTooSkewed",
  ],
  [/Access Key Id you provided does not exist in our records/i, "InvalidAccessKeyId"],
  [/security token included in the request is expired/i, "ExpiredToken"],
  [/security token included in the request is invalid/i, "InvalidClientTokenId"],
  [/^Signature (?:expired|not yet current): /, "InvalidSignatureException"],
  [/AWS was not able to validate the provided access credentials/i, "AuthFailure"],
  [/Server failed to authenticate the request/i, "AuthenticationFailed"],
  [
    /not authorized to perform this operation using this permission/i,
    "AuthorizationPermissionMismatch",
  ],
  [/This request is not authorized to perform this operation\.?$/i, "AuthorizationFailure"],
  [/The specified key does not exist/i, "NoSuchKey"],
];

/** The code a service gives with `message`, when the message is one of its fixed texts. */
export function codeOfMessage(message: string): string | undefined {
  return MESSAGE_CODES.find(([pattern]) => pattern.test(message))?.[1];
}

/**
 * Phrases that name the clock (gaps are bounded, `.{0,200}` not `.*`: an unbounded gap makes
 * a 64 KiB body that repeats the first word cost seconds of backtracking): Azure's AuthenticationErrorDetail, OAuth error_description, and
 * the AWS front end's messages (awsJson, awsQuery, restJson, Route 53), which come under a code
 * that is only a possible one (`InvalidSignatureException`, `SignatureDoesNotMatch`) or none.
 */
export const TIME_COMPLAINTS: readonly RegExp[] = [
  /request date header too old/i,
  /request date header.{0,200}not yet valid/i,
  /in a reasonable timeframe/i,
  /iat and exp/i,
  /token used too (?:early|late)/i,
  /jwt.{0,200}(?:expired|not yet valid|issued in the future)/i,
  /Signature expired: \d{8}T\d{6}Z is now earlier than/,
  /Signature not yet current: \d{8}T\d{6}Z is still later than/,
  /Request timestamp: .{1,64} expired\. It must be within/,
];

/** A presigned URL, SAS or signed URL outside its validity window. */
export const PRESIGNED_COMPLAINTS: readonly RegExp[] = [
  /request has expired/i,
  /presigned url (?:or request signature )?has expired/i,
  /request is not valid yet/i,
  /signature not valid in the specified time frame/i,
  /signed expiry time .{0,200} must be after signed start time/i,
  /request is not yet valid/i,
  /expired token/i,
];

/** Default upper bound of the skew servers tolerate, when they do not say (S3: 15 minutes). */
export const DEFAULT_SERVER_WINDOW_MS = 15 * 60_000;

/** Whether an error body's own words blame the request's time. */
export function hasTimeComplaint(facts: ErrorFacts): boolean {
  const text = `${facts.message ?? ""}\n${facts.detail ?? ""}`;
  return TIME_COMPLAINTS.some((re) => re.test(text));
}

/** Whether a failure is a presigned URL / SAS / signed URL used outside its validity window. */
export function isPresignedExpiry(facts: ErrorFacts): boolean {
  if (facts.expiresSeconds !== undefined || facts.expiresAtMs !== undefined) return true;
  // EC2 says "Request has expired." of a stale header-signed request, under a skew code of its
  // own (`RequestExpired`); S3 says it of a presigned URL, under `AccessDenied`.
  if (facts.code !== undefined && DEFINITE_SKEW_CODES.has(facts.code)) return false;
  const text = `${facts.message ?? ""}\n${facts.detail ?? ""}`;
  return PRESIGNED_COMPLAINTS.some((re) => re.test(text));
}

/**
 * How sure we are that a failed response was caused by the clock, from its status and facts
 * alone (the estimate decides later whether the clock was actually off).
 */
export function classifyClockVerdict(status: number, facts: ErrorFacts): ClockVerdict {
  if (status === 404) return "none";
  const code = facts.code;
  if (code !== undefined && NEVER_CLOCK_CODES.has(code)) return "none";
  if (code !== undefined && DEFINITE_SKEW_CODES.has(code)) return "definite";
  if (hasTimeComplaint(facts)) return "definite";
  if (isPresignedExpiry(facts)) return "definite";
  if (code === "invalid_grant") return "possible";
  if (code !== undefined && POSSIBLE_SKEW_CODES.has(code)) return "possible";
  // A policy denial names itself; a bare 403 with nothing to read may be a signature failure.
  if (code === "AccessDenied" || code === "Forbidden" || code === "forbidden") return "none";
  if ((status === 403 || status === 401) && code === undefined) return "possible";
  return "none";
}
