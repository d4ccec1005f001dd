/**
 * The neutral vocabulary shared by the core and every provider adapter. Adapters translate an
 * SDK's request/response into these shapes; the core never sees an SDK object.
 */

/** A source of time in milliseconds since the epoch. Injected everywhere so tests can fake it. */
export interface Clock {
  now(): number;
}

/** `aws`: any AWS service but S3 (DynamoDB, SQS, STS, ...), through `@skewguard/aws`. */
export type Provider = "s3" | "gcs" | "azure" | "aws";

/** Lower-cased header names to values; repeated headers are joined with ", " as Node does. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

/** Where a reading of the server's clock came from. */
export type TimeSource =
  | "date-header" // RFC 7231 Date: whole seconds
  | "s3-server-time" // <ServerTime> in an S3/GCS XML error body
  | "azure-detail-time" // "Time:..." or "Current [...]" in an Azure AuthenticationErrorDetail
  | "aws-signature-message" // "(20261204T103001Z - 5 min.)" in an AWS "Signature expired" message
  | "token-endpoint"; // a time read from an OAuth error or token response

/** One reading of the server's clock carried by one response. */
export interface TimeEvidence {
  source: TimeSource;
  /** The server time the response states, in ms since the epoch (truncated to its resolution). */
  serverTimeMs: number;
  /** The width of the truncation: the true time lies in [serverTimeMs, serverTimeMs + resolutionMs). */
  resolutionMs: number;
  /** True for evidence taken from an error body: exact and preferred over the Date header. */
  fromBody: boolean;
}

/**
 * Facts read from an error response body by the evidence parsers. Every field is optional:
 * malformed or missing input yields an object with no fields, never an exception.
 */
export interface ErrorFacts {
  /** Provider error code: S3/GCS `<Code>`, Azure `x-ms-error-code`/`<Code>`, OAuth `error`. */
  code?: string;
  message?: string;
  /** The server's clock as stated in the body (`ServerTime`, Azure `Time:`/`Current [...]`). */
  serverTimeMs?: number;
  /** The request time the server read from the request (`RequestTime`, Azure `x-ms-date`). */
  requestTimeMs?: number;
  /** `MaxAllowedSkewMilliseconds`: the server's own window, when it says. */
  maxAllowedSkewMs?: number;
  /** The string the server signed, verbatim (`StringToSign`, Azure "Server used following string to sign"). */
  stringToSign?: string;
  /** The canonical request the server built (`CanonicalRequest`). */
  canonicalRequest?: string;
  /** Presigned URL lifetime the server read, in seconds (`X-Amz-Expires`). */
  expiresSeconds?: number;
  /** Expiry instant the server computed (`Expires`, SAS `se`, "Expiry [...]"). */
  expiresAtMs?: number;
  /** Start of validity (SAS `st`, "Start [...]"). */
  startsAtMs?: number;
  /** `x-amz-request-id`, `x-ms-request-id`, `<RequestId>`, `x-guploader-uploadid`... */
  requestId?: string;
  /** Azure `AuthenticationErrorDetail`, or an OAuth `error_description`, verbatim (redacted on output). */
  detail?: string;
  /** The access key id / account / client email the server echoed (`AWSAccessKeyId`). Never a secret. */
  accessKeyId?: string;
  /** `SignatureProvided`, if the server echoed it. Kept only for comparison; never emitted. */
  signatureProvided?: string;
  /**
   * The response's `Date` header, when the judge may read it as the server's clock: set by the
   * reader of pasted responses. Adapters leave it unset (the engine folds `Date` into its
   * estimate, which it trusts only after checking it).
   */
  serverDateMs?: number;
}

/** What the client signed, as the adapter knows it: compared with what the server says it signed. */
export interface SignedFacts {
  /** The time written into the signature (local clock plus the offset used), ms since the epoch. */
  signedAtMs?: number;
  /** The offset the signer applied, ms (server minus local). */
  offsetMs?: number;
  /** e.g. `AWS4-HMAC-SHA256`, `GOOG4-RSA-SHA256`, `SharedKey`. */
  algorithm?: string;
  /** e.g. `20261123/us-east-1/s3/aws4_request`. */
  credentialScope?: string;
  region?: string;
  service?: string;
  accessKeyId?: string;
  stringToSign?: string;
  canonicalRequest?: string;
  /** For presigned URLs and SAS: the lifetime the client asked for. */
  expiresSeconds?: number;
  expiresAtMs?: number;
  startsAtMs?: number;
  /** The headers the signature covers (SigV4 `SignedHeaders`), lower-case. */
  signedHeaders?: readonly string[];
  /** Header values the request was sent with, as far as they are known (lower-case names). */
  headers?: HeaderMap;
  /** Whether the request carried a session token (`x-amz-security-token`), when known. */
  sessionToken?: boolean;
  /** For a signed URL: the URL as sent, without its signature. */
  url?: string;
}

/**
 * What a client's own log says around a failure that was pasted rather than seen live: its
 * clock's readings and the signs that the request left long after it was signed. Absent for a
 * live attempt, where the engine signs right before it sends.
 */
export interface ClientEvidence {
  /** The client's clock when it signed (the log line of the signing), ms since the epoch (UTC). */
  clockAtSigningMs?: number;
  /** The client's clock when the answer came back (the log line of the response or the error). */
  clockAtResponseMs?: number;
  /**
   * True when the log's time zone is unknown: readings are then only comparable modulo 15
   * minutes (every time zone is a whole number of quarter hours from UTC).
   */
  zoneUnknown?: boolean;
  /** Signs that the request waited between signing and sending, in words (retries, a frozen process...). */
  lateSendSigns: string[];
  /** When the text was read, on the local clock: the failure happened before it. */
  readAtMs?: number;
}

/**
 * One attempt, as an adapter saw it. Times are on the local clock (the injected `Clock`).
 */
export interface Observation {
  provider: Provider;
  /** The endpoint as `host[:port]`: the key of the offset store. */
  host: string;
  operation?: string;
  /** When the request left (just before the send), local clock ms. */
  sentAt: number;
  /** When the response headers arrived, local clock ms. */
  receivedAt: number;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  headers: HeaderMap;
  /** The error body as text; the core reads at most `DEFAULT_BODY_CAP_BYTES` of it. */
  body?: string;
  /**
   * Error-body fields an SDK already parsed from the body it consumed (S3: `Code`, `ServerTime`,
   * `StringToSign`, ...). Read like a body when `body` is absent.
   */
  fields?: Readonly<Record<string, string>>;
  /**
   * An error document an SDK already parsed (a token endpoint's JSON reply, an Azure
   * `RestError`'s details): read like a body when `body` says nothing.
   */
  document?: Readonly<Record<string, unknown>>;
  /** What the client signed for this attempt. */
  signed?: SignedFacts;
  /** True when this attempt is itself a corrective resend. */
  resent?: boolean;
  /** True when this observation concerns a presigned URL / SAS / signed URL rather than a header signature. */
  presigned?: boolean;
  /** A token-endpoint exchange (GCS service-account grant) rather than a storage request. */
  tokenGrant?: boolean;
  /** The client's own record of the failure, for pasted text (see `ClientEvidence`). */
  client?: ClientEvidence;
}

/** The learned relation between the local clock and one endpoint's clock. */
export interface OffsetEstimate {
  /** Best estimate of server minus local, ms. Sign with `clock.now() + offsetMs`. */
  offsetMs: number;
  /** The offset lies within [lowMs, highMs] by the evidence so far. */
  lowMs: number;
  highMs: number;
  /** Samples intersected into this estimate since the last restart. */
  samples: number;
  /** Local clock ms of the last sample taken. */
  updatedAt: number;
}

/** Why a sample was or was not taken into the estimate. */
export type SampleOutcome =
  | "accepted" // intersected into (or started) the estimate
  | "step-pending" // disagreed with the estimate: held until a second sample corroborates it
  | "step-accepted" // a clock step confirmed by corroboration: the estimate restarted
  | "ignored-cached" // the response carried Age
  | "ignored-slow" // the round trip exceeded the limit
  | "ignored-no-evidence"
  | "untrusted-disagreeing" // the response's evidences disagree, or the server has shown the reading false
  | "untrusted-implausible"; // beyond maxCorrectionMs of a valid local clock: held until a request signed on it is accepted

export type DecisionAction = "resend" | "return";

/** Reasons a recovery was not attempted; stable names (event payloads). */
export type SkipReason =
  | "not-clock"
  | "body-not-replayable"
  | "already-resent"
  | "evidence-untrusted"
  | "resend-disabled";

/** How sure the core is that the clock caused a failure. */
export type ClockVerdict = "definite" | "possible" | "none";

export interface Decision {
  action: DecisionAction;
  /** For `resend`: the offset to sign the resend with. */
  offsetMs?: number;
  /** For `return` after a failure the clock may have caused. */
  skipReason?: SkipReason;
  /** Human-readable, one line: why. */
  why: string;
  /** The skew the failed attempt was signed with, by the current estimate (estimate minus used offset). */
  skewMs?: number;
  verdict: ClockVerdict;
  /**
   * skewguard did not act on a failure the clock may have caused: the SDK's own handling of it
   * must stand (see `RecoveryOutcome.declined`).
   */
  declined?: true;
}

/** Catalogue of causes (design section 5); stable names. */
export type Cause =
  | "clock-behind"
  | "clock-ahead"
  | "presigned-expired"
  | "presigned-not-yet-valid"
  | "secret-key-mismatch"
  | "credential-scope-mismatch"
  | "algorithm-mismatch"
  | "request-changed"
  | "jwt-clock-skew"
  | "signed-too-early"
  | "temporary-credentials-expired"
  | "session-token-missing"
  | "presigned-expiry-too-long"
  | "server-clock-wrong"
  | "access-key-disabled"
  | "unknown";

export type Confidence = "high" | "medium" | "low";

/** A named fact backing a diagnosis. Values are display strings, already redacted. */
export interface EvidenceItem {
  name: string;
  value: string;
}

/** A cause the evidence leaves open, and the one check that would confirm it. */
export interface CandidateCause {
  cause: Cause;
  check: string;
}

export interface Diagnosis {
  cause: Cause;
  confidence: Confidence;
  /** One sentence a person can act on. */
  summary: string;
  evidence: EvidenceItem[];
  fixes: string[];
  deadEnds: string[];
  /** When the server's string-to-sign or canonical request differs from the client's: the first field. */
  firstDifference?: { field: string; client: string; server: string };
  /** What the diagnosis looked at, for `unknown`. */
  checked: string[];
  /**
   * Causes the evidence has not ruled out, most likely first, each with the one check that
   * would confirm it. Present when the answer is not certain (always for `unknown` and low
   * confidence); absent when the alternatives are ruled out.
   */
  candidates?: CandidateCause[];
}
