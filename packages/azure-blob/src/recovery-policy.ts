import type { PipelinePolicy, PipelineRequest, SendRequest } from "@azure/core-rest-pipeline";
import type { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { SKEW_RECOVERY_POLICY_NAME } from "./constants.js";
import { endpointKey } from "./endpoint.js";
import { observe } from "./observation.js";
import { operationName } from "./operation.js";
import { type ReplayableBody, toReplayableBody } from "./replayable-body.js";
import type { SigningLedger } from "./signing-ledger.js";

export interface SkewRecoveryPolicyOptions {
  recovery: SkewRecovery;
  ledger: SigningLedger;
  /**
   * True when the pipeline's Sign phase signs with the learned clock (the clock-aware SharedKey
   * policy). Otherwise (a token credential, a SAS URL) a resend would carry the same
   * credential, so the policy only samples the server's clock and diagnoses failures.
   */
  canResign: boolean;
  /**
   * The user asked for one try (`retryOptions: { maxTries: 1 }`): failures are diagnosed, never
   * resent.
   */
  singleAttempt?: boolean;
}

const UNTOUCHED: ReplayableBody = { replayable: false, prepare: () => {} };

/**
 * Runs in the Retry phase after the SDK's `storageRetryPolicy` (which never retries a 403), so
 * each of the SDK's attempts passes through it once and every `next()` from here goes through
 * the Sign phase again: a resend is re-signed with the offset the failure taught. Every
 * response's `Date` is sampled; a 403 is handed to the core, which decides whether the clock
 * caused it; at most one corrective resend per attempt, at once, with no backoff.
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
  { recovery, ledger, canResign, singleAttempt = false }: SkewRecoveryPolicyOptions,
) {
  const host = endpointKey(request.url);
  const operation = operationName(request.method, request.url, (name) => request.headers.has(name));
  // Only a pipeline that can re-sign has a reason to hold a stream body back.
  const body = canResign ? await toReplayableBody(request, recovery.replayBufferBytes) : UNTOUCHED;
  const firstSentAt = recovery.clock.now();
  let resent = false;
  for (;;) {
    body.prepare(request);
    const sentAt = recovery.clock.now();
    const response = await next(request);
    // A success while the clock is freshly known teaches nothing: skip building the observation.
    if (response.status < 400 && !resent && !recovery.wantsSuccessSample(host)) return response;
    const signed = ledger.lastSigned(request);
    const obs = observe(request, response, {
      host,
      ...(operation ? { operation } : {}),
      sentAt,
      receivedAt: recovery.clock.now(),
      resent,
      ...(signed ? { signed } : {}),
    });
    const { decision } = recovery.observe(obs, {
      replayable: body.replayable,
      resendAllowed: canResign && !singleAttempt,
    });
    if (response.status < 400) {
      if (resent) recovery.recovered(obs, 2, firstSentAt);
      return response;
    }
    if (decision.action !== "resend" || resent) return response;
    // The failed answer is dropped, so its socket can serve the resend.
    response.readableStreamBody?.resume();
    ledger.plan(request, decision.offsetMs ?? recovery.offsetMs(host));
    resent = true;
  }
}
