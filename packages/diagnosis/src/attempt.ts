import type { SignedFacts, SkipReason } from "./types.js";

/**
 * The contract between the engine and an adapter: the adapter describes a request once
 * (`RecoveryRequest`) and supplies one function, "send this request once, signed at offset X,
 * and tell me what came back" (`SendAttempt`); the engine runs the attempts.
 */

/** What an adapter knows about a request before it is sent. */
export interface RecoveryRequest {
  /**
   * The endpoint, `host[:port]` (see `endpointKey`): the key of the offset store. Read afresh
   * at each use, so an adapter whose requests turn out to go elsewhere (a token endpoint behind
   * a proxy) may define it as a getter.
   */
  readonly host: string;
  /**
   * Endpoints whose clock stands in for `host`'s while `host` has none (GCS: the storage API
   * for the token endpoint; Google's front ends share one clock).
   */
  aliases?: readonly string[];
  /** Names the request in events, e.g. `PutObject`. */
  operation?: string | undefined;
  /**
   * Whether the request can be sent a second time with the same body. A function is asked
   * only when a resend is being decided (a streamed body is known to fit its replay buffer
   * only once the first attempt read it).
   * @default true
   */
  replayable?: boolean | (() => boolean);
  /**
   * False when the user asked for a single attempt (`maxAttempts: 1`, `maxTries: 1`), or when
   * a resend could not carry a new signature (a SAS URL, a bearer token): failures are then
   * diagnosed, never resent.
   * @default true
   */
  resendAllowed?: boolean;
  /** The request is authorised by a presigned URL / SAS rather than a header signature. */
  presigned?: boolean;
  /** A token-endpoint exchange (a GCS service-account grant) rather than a storage request. */
  tokenGrant?: boolean;
  /**
   * The caller's abort signal (any `{ aborted }`: a DOM `AbortSignal`, Azure's
   * `AbortSignalLike`). Once it is aborted nothing is resent and nothing is judged: the last
   * attempt's outcome goes back as it is, and the SDK meets the abort as it would without
   * skewguard.
   */
  signal?: { readonly aborted: boolean } | undefined;
  /**
   * The SDK keeps a clock offset of its own and retries on it (the AWS SDK). While the endpoint
   * has answered with a reading beyond the correction bound that nothing has confirmed, the
   * engine then leaves signing to the SDK (`AttemptPlan.sdkClock`): the SDK's own retry, or
   * next request, goes exactly as it would without skewguard, and its answer confirms or
   * refutes the reading.
   * @default false
   */
  sdkClock?: boolean;
  /**
   * The offset the SDK signs with on its own (server minus the engine's clock, ms). When the
   * endpoint's estimate holds it within its bounds, the first attempt is planned at exactly
   * this offset: the evidence cannot tell it from the estimate, and the adapter can then leave
   * the SDK's signing untouched (the AWS SDK refines its own offset from every `Date`).
   */
  ownOffsetMs?: number;
  /**
   * Told how the run ended, just before its result is returned or thrown: the adapter
   * translates it for the SDK (S3: whether the SDK's own clock-skew flag stands).
   */
  onOutcome?: (outcome: RecoveryOutcome) => void;
}

/** How a run ended, for the adapter to translate. */
export interface RecoveryOutcome {
  /**
   * The last attempt failed in a way the clock may have caused, and skewguard did not act on
   * it (untrusted or unconfirmed evidence, a single attempt asked for, a body it cannot send
   * again): whatever the SDK does about such a failure on its own (its retry decision, its
   * clock-skew flag, its offset) must stand, exactly as without skewguard. False when
   * skewguard resent, when the evidence shows the clock was not the cause or was already
   * right, when the server contradicted its own clock reading, and when nothing failed.
   */
  declined: boolean;
  /** Why it declined (a `recovery.skipped` reason). */
  reason?: SkipReason;
  /** One line: why, and what happens next. */
  why?: string;
  /** A corrective resend was sent. */
  resent: boolean;
}

/** What the engine asks of one attempt. */
export interface AttemptPlan {
  /** Sign at local time plus this, ms (server minus local). */
  offsetMs: number;
  /** True for the corrective resend. */
  resent: boolean;
  /**
   * Sign as the SDK would without skewguard, on its own clock and offset (only for requests
   * with `sdkClock`); `offsetMs` is then skewguard's own, for reference. Report the offset the
   * SDK used in `AttemptReport.signedOffsetMs`.
   */
  sdkClock?: true;
}

/** The response behind an attempt, in whatever form the SDK holds it; read only when needed. */
export interface AttemptResponse {
  /** Any header shape (`Headers`, Azure `HttpHeaders`, a plain object): see `toHeaderMap`. */
  headers?: unknown;
  /** The error body as the SDK received it. */
  body?: string;
  /** An error document the SDK already parsed. */
  document?: Readonly<Record<string, unknown>>;
  /** The SDK's error object: status, headers and body fields are read from it (`readSdkError`). */
  error?: unknown;
  /** What was signed for this attempt (scope, algorithm, string-to-sign); never the signature. */
  signed?: SignedFacts;
}

/** What one attempt gave: the outcome the caller gets if it is the last, and its response. */
export type AttemptReport<T> = (
  | {
      /** Returned to the caller (an SDK output, or a response the SDK turns into an error). */ value: T;
    }
  | { /** Thrown to the caller. */ error: unknown }
) & {
  /** HTTP status; absent when no response arrived (a reset connection, an abort). */
  status?: number;
  /** The response, read by the engine on failures and on the successes it samples. */
  response?: () => AttemptResponse;
  /** Releases a failed response that is about to be resent (drains its body for the socket). */
  discard?: () => void;
  /**
   * For an attempt planned with `sdkClock`: the offset the SDK signed with, as signing time
   * minus the engine's clock, ms. Without it the plan's `offsetMs` is taken as used.
   */
  signedOffsetMs?: number;
};

/** Sends the request once, signed at `plan.offsetMs`. */
export type SendAttempt<T> = (plan: AttemptPlan) => Promise<AttemptReport<T>>;
