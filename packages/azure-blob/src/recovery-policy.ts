import type {
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  SendRequest,
} from "@azure/core-rest-pipeline";
import type { AttemptReport, SkewRecovery } from "@skewguard/diagnosis/adapter";
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

const UNTOUCHED: ReplayableBody = { replayable: false, prepare: () => {}, release: () => {} };

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

async function sendWithRecovery(
  request: PipelineRequest,
  next: SendRequest,
  { recovery, signer, singleAttempt = false }: SkewRecoveryPolicyOptions,
): Promise<PipelineResponse> {
  const url = parsedUrl(request.url);
  const host = url && endpointKey(url);
  if (url === undefined || host === undefined) return next(request);
  // Named only when an event or an observation asks: most requests never need it.
  let operation: { name: string | undefined } | undefined;
  const named = () => {
    operation ??= {
      name: operationName(request.method, url, (name) => request.headers.has(name)),
    };
    return operation.name;
  };
  // Only a pipeline that can re-sign has a reason to keep a copy of a stream body. Nothing is
  // read ahead: the first attempt streams the body while the copy is kept.
  const body = signer
    ? toReplayableBody(request, recovery.replayBufferBytes, recovery.replayBudget)
    : UNTOUCHED;
  try {
    return await recovery.run(
      {
        host,
        get operation() {
          return named();
        },
        replayable: () => body.replayable,
        resendAllowed: signer !== undefined && !singleAttempt,
        ...(isSas(request.url) ? { presigned: true } : {}),
        ...(request.abortSignal ? { signal: request.abortSignal } : {}),
      },
      // A send that throws got no response (a reset, an abort): the error reaches the SDK as is.
      async ({ offsetMs }) => {
        body.prepare(request);
        if (signer) stampSigningTime(request, recovery.clock.now() + offsetMs);
        return report(request, await next(request), signer);
      },
    );
  } finally {
    // The copy lives as long as the request, not a moment longer.
    body.release(request);
  }
}

/**
 * One attempt as the engine reads it. A failure stays a response (the SDK's deserializer turns
 * it into the `RestError` whose `response` carries the diagnosis); what was signed is read back
 * from the request, and only for failures.
 */
function report(
  request: PipelineRequest,
  response: PipelineResponse,
  signer: SkewRecoveryPolicyOptions["signer"],
): AttemptReport<PipelineResponse> {
  const failed = response.status >= 400;
  return {
    value: response,
    status: response.status,
    response: () => ({
      headers: response.headers,
      // A success body is the payload (a listing, a download): no evidence in it.
      ...(failed && typeof response.bodyAsText === "string" ? { body: response.bodyAsText } : {}),
      ...(failed && signer ? { signed: signedFacts(request, signer.accountName) } : {}),
    }),
    // The failed answer is dropped, so its socket can serve the resend.
    discard: () => {
      response.readableStreamBody?.resume();
    },
  };
}

/** The request's URL, parsed once for the endpoint and the operation. */
function parsedUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A SAS URL carries `sig` in its query; a regular expression spares a URL parse per request. */
function isSas(url: string): boolean {
  return /[?&]sig=/.test(url);
}
