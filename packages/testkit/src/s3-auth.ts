import type { AwsChunkedMode, ChunkSigning } from "./aws-chunked.js";
import {
  type S3ErrorResponse,
  type ServerFlavor,
  type SignatureEvidence,
  authorizationHeaderMalformed,
  authorizationQueryParametersError,
  invalidAccessKeyId,
  invalidArgument,
  invalidRequest,
  missingDate,
  presignedExpired,
  presignedNotYetValid,
  requestTimeTooSkewed,
  signatureDoesNotMatch,
} from "./s3-errors.js";
import { isoSeconds } from "./server-clock.js";
import {
  type ParsedCredential,
  type RawHeader,
  SIGV4_ALGORITHM,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  credentialScopeString,
  formatAmzDate,
  parseAmzDate,
  parseAuthorizationHeader,
  parseCredential,
  parseQuery,
  signature,
  signingKey,
  stringToSign,
} from "./sigv4.js";

/**
 * Authenticates a request the way S3 does, from its headers and query alone (so it can run
 * before a `100-continue` body is sent): header signatures with their time window, presigned
 * URLs with their expiry, and the payload the signature promises.
 */

/** How a stale header-signed request is refused. */
export type SkewErrorStyle = "RequestTimeTooSkewed" | "SignatureDoesNotMatch";

export interface AuthOptions {
  credentials: Readonly<Record<string, string>>;
  region: string;
  allowedSkewMs: number;
  errorStyle: SkewErrorStyle;
  flavor: ServerFlavor;
}

export interface AuthRequest {
  method: string;
  /** Raw path and query of the request line. */
  path: string;
  query: string;
  headers: readonly RawHeader[];
}

/** What the body must be checked against once it has arrived. */
export type PayloadExpectation =
  | { kind: "unsigned" }
  | { kind: "sha256"; hash: string }
  | { kind: "aws-chunked"; mode: AwsChunkedMode; signing?: ChunkSigning };

export type AuthResult =
  | { ok: true; accessKeyId: string; presigned: boolean; payload: PayloadExpectation }
  | { ok: false; error: S3ErrorResponse };

const fail = (error: S3ErrorResponse): AuthResult => ({ ok: false, error });

export function headerValues(headers: readonly RawHeader[], name: string): string[] {
  return headers
    .filter(([candidate]) => candidate.toLowerCase() === name)
    .map(([, value]) => value);
}

function firstHeader(headers: readonly RawHeader[], name: string): string | undefined {
  return headerValues(headers, name)[0];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function payloadExpectation(
  contentSha256: string,
  signing: ChunkSigning,
): PayloadExpectation | S3ErrorResponse {
  switch (contentSha256) {
    case UNSIGNED_PAYLOAD:
      return { kind: "unsigned" };
    case STREAMING_SIGNED_PAYLOAD:
      return { kind: "aws-chunked", mode: "signed", signing };
    case STREAMING_SIGNED_PAYLOAD_TRAILER:
      return { kind: "aws-chunked", mode: "signed-trailer", signing };
    case STREAMING_UNSIGNED_PAYLOAD_TRAILER:
      return { kind: "aws-chunked", mode: "unsigned-trailer" };
  }
  if (SHA256_HEX.test(contentSha256)) return { kind: "sha256", hash: contentSha256 };
  return invalidArgument(
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
  );
}

/** The request's signing time: `X-Amz-Date`, else a `Date` header; as sent and as ms. */
function requestDate(headers: readonly RawHeader[]): { sent: string; ms: number } | undefined {
  const amz = firstHeader(headers, "x-amz-date");
  if (amz !== undefined) {
    const ms = parseAmzDate(amz.trim());
    return ms === undefined ? undefined : { sent: amz.trim(), ms };
  }
  const date = firstHeader(headers, "date");
  if (date === undefined) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : { sent: date, ms };
}

/** Why a credential scope does not fit this server (region, service, terminator), if it does not. */
export function scopeProblem(
  credential: ParsedCredential,
  options: AuthOptions,
): string | undefined {
  // GCS's XML API accepts any region name (`auto`, `us`...) in an HMAC credential scope.
  if (options.flavor === "s3" && credential.region !== options.region) {
    return `the region '${credential.region}' is wrong; expecting '${options.region}'`;
  }
  if (credential.service !== "s3") {
    return `incorrect service '${credential.service}'. This endpoint belongs to 's3'.`;
  }
  if (credential.terminator !== "aws4_request") {
    return `incorrect terminal '${credential.terminator}'. This endpoint uses 'aws4_request'.`;
  }
  return undefined;
}

interface Verification {
  request: AuthRequest;
  credential: ParsedCredential;
  secret: string;
  amzDate: string;
  signedHeaders: string[];
  payloadHash: string;
  provided: string;
  presigned: boolean;
}

type VerificationResult =
  | { ok: true; signing: ChunkSigning; evidence: SignatureEvidence }
  | { ok: false; evidence: SignatureEvidence };

/** Computes what the server signs and compares; returns the key and seed on success. */
function verifySignature(v: Verification): VerificationResult {
  const creq = canonicalRequest({
    method: v.request.method,
    path: v.request.path,
    query: v.request.query,
    headers: v.request.headers,
    signedHeaders: v.signedHeaders,
    payloadHash: v.payloadHash,
    ...(v.presigned ? { excludeQuery: ["X-Amz-Signature"] } : {}),
  });
  const scope = credentialScopeString(v.credential);
  const toSign = stringToSign(v.amzDate, scope, creq);
  const key = signingKey(v.secret, v.credential);
  const expected = signature(key, toSign);
  const evidence: SignatureEvidence = {
    accessKeyId: v.credential.accessKeyId,
    stringToSign: toSign,
    signatureProvided: v.provided,
    canonicalRequest: creq,
  };
  if (expected !== v.provided) return { ok: false, evidence };
  return {
    ok: true,
    signing: { amzDate: v.amzDate, scope, key, seedSignature: expected },
    evidence,
  };
}

function authenticateHeader(
  request: AuthRequest,
  authorization: string,
  nowMs: number,
  options: AuthOptions,
): AuthResult {
  if (!authorization.startsWith(`${SIGV4_ALGORITHM} `)) {
    return fail(
      invalidRequest(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
      ),
    );
  }
  const parsed = parseAuthorizationHeader(authorization);
  if (typeof parsed === "string") return fail(authorizationHeaderMalformed(parsed));
  const credential = parseCredential(parsed.credential);
  if (!credential) {
    return fail(
      authorizationHeaderMalformed(
        'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
      ),
    );
  }
  const secret = options.credentials[credential.accessKeyId];
  if (secret === undefined) return fail(invalidAccessKeyId(options.flavor, credential.accessKeyId));
  const date = requestDate(request.headers);
  if (!date) return fail(missingDate());
  const amzDate = formatAmzDate(date.ms);
  if (credential.date !== amzDate.slice(0, 8)) {
    return fail(
      authorizationHeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date."),
    );
  }
  const problem = scopeProblem(credential, options);
  if (problem) return fail(authorizationHeaderMalformed(problem, options.region));
  const contentSha256 = firstHeader(request.headers, "x-amz-content-sha256")?.trim();
  if (contentSha256 === undefined) {
    return fail(invalidRequest("Missing required header for this request: x-amz-content-sha256"));
  }
  const verification = verifySignature({
    request,
    credential,
    secret,
    amzDate,
    signedHeaders: parsed.signedHeaders,
    payloadHash: contentSha256,
    provided: parsed.signature,
    presigned: false,
  });
  // The window is checked before the signature, as S3 does: a stale request is refused for its
  // time even when its signature is right.
  if (Math.abs(date.ms - nowMs) > options.allowedSkewMs) {
    if (options.errorStyle === "SignatureDoesNotMatch") {
      // The server signs with the request's own date, so its string to sign equals the
      // client's when only the clock is wrong: the body shows nothing else to blame.
      return fail(signatureDoesNotMatch(options.flavor, verification.evidence));
    }
    return fail(
      requestTimeTooSkewed(options.flavor, date.sent, isoSeconds(nowMs), options.allowedSkewMs),
    );
  }
  if (!verification.ok) return fail(signatureDoesNotMatch(options.flavor, verification.evidence));
  const payload = payloadExpectation(contentSha256, verification.signing);
  if ("status" in payload) return fail(payload);
  return { ok: true, accessKeyId: credential.accessKeyId, presigned: false, payload };
}

const PRESIGN_PARAMS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
] as const;

const MAX_PRESIGN_SECONDS = 604_800;

function authenticatePresigned(
  request: AuthRequest,
  params: Map<string, string>,
  nowMs: number,
  options: AuthOptions,
): AuthResult {
  if (PRESIGN_PARAMS.some((name) => !params.has(name))) {
    return fail(
      authorizationQueryParametersError(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      ),
    );
  }
  const get = (name: (typeof PRESIGN_PARAMS)[number]) => params.get(name) ?? "";
  if (get("X-Amz-Algorithm") !== SIGV4_ALGORITHM) {
    return fail(
      authorizationQueryParametersError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'),
    );
  }
  const expiresText = get("X-Amz-Expires");
  const expires = /^\d+$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGN_SECONDS)) {
    return fail(
      authorizationQueryParametersError(
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
      ),
    );
  }
  const signedAt = parseAmzDate(get("X-Amz-Date"));
  if (signedAt === undefined) {
    return fail(
      authorizationQueryParametersError(
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      ),
    );
  }
  const credential = parseCredential(get("X-Amz-Credential"));
  if (!credential) {
    return fail(
      authorizationQueryParametersError(
        'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
      ),
    );
  }
  const secret = options.credentials[credential.accessKeyId];
  if (secret === undefined) return fail(invalidAccessKeyId(options.flavor, credential.accessKeyId));
  if (credential.date !== get("X-Amz-Date").slice(0, 8)) {
    return fail(
      authorizationQueryParametersError(
        "Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.",
      ),
    );
  }
  const problem = scopeProblem(credential, options);
  if (problem) {
    return fail(
      authorizationQueryParametersError(
        `Error parsing the X-Amz-Credential parameter; ${problem}`,
        options.region,
      ),
    );
  }
  const expiresAt = signedAt + expires * 1000;
  if (nowMs > expiresAt) {
    return fail(presignedExpired(options.flavor, expiresText, expiresAt, isoSeconds(nowMs)));
  }
  if (signedAt - nowMs > options.allowedSkewMs) {
    return fail(presignedNotYetValid(options.flavor, signedAt, expiresAt, isoSeconds(nowMs)));
  }
  const verification = verifySignature({
    request,
    credential,
    secret,
    amzDate: get("X-Amz-Date"),
    signedHeaders: get("X-Amz-SignedHeaders")
      .split(";")
      .map((name) => name.toLowerCase()),
    payloadHash: params.get("X-Amz-Content-Sha256") ?? UNSIGNED_PAYLOAD,
    provided: get("X-Amz-Signature"),
    presigned: true,
  });
  if (!verification.ok) return fail(signatureDoesNotMatch(options.flavor, verification.evidence));
  // Presigned URLs carry no payload signature; a body hash in a header is still honoured.
  const header = firstHeader(request.headers, "x-amz-content-sha256")?.trim();
  const payload: PayloadExpectation =
    header !== undefined && SHA256_HEX.test(header)
      ? { kind: "sha256", hash: header }
      : { kind: "unsigned" };
  return { ok: true, accessKeyId: credential.accessKeyId, presigned: true, payload };
}

export type AnonymousResult = { ok: false; anonymous: true };

/**
 * Authenticates from headers and query. A request with neither an `Authorization` header nor
 * presigned parameters is anonymous: the caller answers it as S3 answers anonymous access to a
 * private bucket.
 */
export function authenticateRequest(
  request: AuthRequest,
  nowMs: number,
  options: AuthOptions,
): AuthResult | AnonymousResult {
  const authorization = firstHeader(request.headers, "authorization");
  if (authorization !== undefined)
    return authenticateHeader(request, authorization, nowMs, options);
  const params = new Map(parseQuery(request.query));
  if (params.has("X-Amz-Algorithm") || params.has("X-Amz-Signature")) {
    return authenticatePresigned(request, params, nowMs, options);
  }
  return { ok: false, anonymous: true };
}
