import type {
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  SendRequest,
} from "@azure/core-rest-pipeline";
import type { AttemptResponse, RecoveryRequest, SkewRecovery } from "@skewguard/diagnosis/adapter";
import { endpointKey } from "@skewguard/diagnosis/adapter";
import { SKEW_RECOVERY_POLICY_NAME } from "./constants.js";
import { operationName } from "./operation.js";
import { type ReplayableBody, toReplayableBody } from "./replayable-body.js";
import { signedFacts, stampSigningTime } from "./signing-policy.js";

export interface SkewRecoveryPolicyOptions {
  recovery: SkewRecovery;
  /**
   * The signing account, when the pipeline's Sign phase is the clock-aware SharedKey policy.
   * Without it (a token credential, a SAS URL) a resend would carry the same credential, so
   * the policy only samples the server's clock and diagnoses failures.
   */
  signer?: { readonly accountName: string };
  /**
   * The user asked for one try (`retryOptions: { maxTries: 1 }`): failures are diagnosed, never
   * resent.
   */
  singleAttempt?: boolean;
}

const UNTOUCHED: ReplayableBody = {
  replayable: false,
  copies: false,
  prepare: () => {},
  release: () => {},
};

/**
 * Runs in the Retry phase after the SDK's `storageRetryPolicy` (which never retries a 403), so
 * each of the SDK's attempts passes through it once, and every `next()` from here goes through
 * the Sign phase again. It translates: the engine runs the attempt, and each send is signed at
 * the offset the engine chose (a corrective resend happens at once, with no backoff).
 */
export function skewRecoveryPolicy(options: SkewRecoveryPolicyOptions): PipelinePolicy {
  return {
    name: SKEW_RECOVERY_POLICY_NAME,
    sendRequest: (request, next) => sendWithRecovery(request, next, options),
  };
}

function sendWithRecovery(
  request: PipelineRequest,
  next: SendRequest,
  { recovery, signer, singleAttempt = false }: SkewRecoveryPolicyOptions,
): Promise<PipelineResponse> {
  const host = endpointKey(request.url);
  if (host === undefined) return next(request);
  // Only a pipeline that can re-sign has a reason to keep a copy of a stream body. Nothing is
  // read ahead: the first attempt streams the body while the copy is kept.
  const body = signer
    ? toReplayableBody(request, recovery.replayBufferBytes, recovery.replayBudget)
    : UNTOUCHED;
  const resendAllowed = signer !== undefined && !singleAttempt;
  // `run` hands every failure back as a rejection, never a synchronous throw.
  const sent = recovery.run(
    new BlobRecoveryRequest(request, host, body, resendAllowed),
    // A send that throws got no response (a reset, an abort): the error reaches the SDK as is.
    ({ offsetMs }) => {
      body.prepare(request);
      if (signer) stampSigningTime(request, recovery.clock.now() + offsetMs);
      return next(request).then((response) => new BlobAttempt(request, response, signer));
    },
  );
  // The copy lives as long as the request, not a moment longer.
  return body.copies ? sent.finally(() => body.release(request)) : sent;
}

/**
 * One request as the engine reads it. Every request pays for this object, so it holds no
 * closures, and what most requests never need (the operation's name, which parses the URL) is
 * read only when an event or an observation asks.
 */
class BlobRecoveryRequest implements RecoveryRequest {
  readonly host: string;
  readonly resendAllowed: boolean;
  readonly #request: PipelineRequest;
  readonly #body: ReplayableBody;
  #operation: { name: string | undefined } | undefined;

  constructor(request: PipelineRequest, host: string, body: ReplayableBody, resend: boolean) {
    this.host = host;
    this.resendAllowed = resend;
    this.#request = request;
    this.#body = body;
  }

  get operation(): string | undefined {
    this.#operation ??= { name: operationOf(this.#request) };
    return this.#operation.name;
  }

  /** Asked after an attempt: a stream's copy may have outgrown its cap meanwhile. */
  get replayable(): boolean {
    return this.#body.replayable;
  }

  get presigned(): boolean {
    return isSas(this.#request.url);
  }

  get signal(): PipelineRequest["abortSignal"] {
    return this.#request.abortSignal;
  }
}

/**
 * One attempt as the engine reads it. A failure stays a response (the SDK's deserializer turns
 * it into the `RestError` whose `response` carries the diagnosis); what was signed is read back
 * from the request, and only for failures.
 */
class BlobAttempt {
  readonly value: PipelineResponse;
  readonly status: number;
  readonly #request: PipelineRequest;
  readonly #signer: SkewRecoveryPolicyOptions["signer"];

  constructor(
    request: PipelineRequest,
    response: PipelineResponse,
    signer: SkewRecoveryPolicyOptions["signer"],
  ) {
    this.value = response;
    this.status = response.status;
    this.#request = request;
    this.#signer = signer;
  }

  response(): AttemptResponse {
    const response = this.value;
    const failed = response.status >= 400;
    return {
      headers: response.headers,
      // A success body is the payload (a listing, a download): no evidence in it.
      ...(failed && typeof response.bodyAsText === "string" ? { body: response.bodyAsText } : {}),
      ...(failed && this.#signer
        ? { signed: signedFacts(this.#request, this.#signer.accountName) }
        : {}),
    };
  }

  /** The failed answer is dropped, so its socket can serve the resend. */
  discard(): void {
    this.value.readableStreamBody?.resume();
  }
}

/** The Blob operation a request performs, read from its parsed URL. */
function operationOf(request: PipelineRequest): string | undefined {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return undefined;
  }
  return operationName(request.method, url, (name) => request.headers.has(name));
}

/** A SAS URL carries `sig` in its query; a regular expression spares a URL parse per request. */
function isSas(url: string): boolean {
  return /[?&]sig=/.test(url);
}
