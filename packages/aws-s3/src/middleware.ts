import type { Observation, SkewRecovery } from "@skewguard/diagnosis";
import { HttpRequest } from "@smithy/protocol-http";
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeHandlerOutput,
  FinalizeRequestMiddleware,
  HandlerExecutionContext,
} from "@smithy/types";
import { type AttemptFacts, endpointKey, observeError, observeResponse } from "./observation.js";
import { declaredLength, type ReplayableBody, toReplayableBody } from "./replayable-body.js";
import { type ClockConfig, clearSkewCorrectedFlag, signWithOffset } from "./sdk-clock.js";
import { dropSignedFacts, takeSignedFacts } from "./signed-request.js";

type Outcome<Output extends object> =
  | { ok: true; output: FinalizeHandlerOutput<Output>; obs?: Observation }
  | { ok: false; error: unknown; obs: Observation };

/** One request as the middleware handles it: what stays the same across its attempts. */
interface RequestScope<Input extends object, Output extends object> {
  next: FinalizeHandler<Input, Output>;
  args: FinalizeHandlerArguments<Input>;
  context: HandlerExecutionContext;
  config: ClockConfig;
  recovery: SkewRecovery;
  host: string;
  operation: string | undefined;
  body: ReplayableBody;
}

/**
 * Sits between `retryMiddleware` and `httpSigningMiddleware`, so it runs once per SDK attempt
 * and sees the request before it is signed. Each attempt is signed with skewguard's offset for
 * the endpoint; a failure the clock caused is re-signed and sent again at once, inside the same
 * SDK attempt: no backoff and no retry token.
 */
export const skewRecoveryMiddleware =
  <Input extends object, Output extends object>(
    config: ClockConfig,
    recovery: SkewRecovery,
  ): FinalizeRequestMiddleware<Input, Output> =>
  (next: FinalizeHandler<Input, Output>, context: HandlerExecutionContext) =>
  async (args: FinalizeHandlerArguments<Input>): Promise<FinalizeHandlerOutput<Output>> => {
    if (!HttpRequest.isInstance(args.request)) return next(args);
    const request = args.request;
    const scope: RequestScope<Input, Output> = {
      next,
      args,
      context,
      config,
      recovery,
      host: endpointKey(
        request.hostname,
        request.port,
        (args.input as { Bucket?: unknown }).Bucket,
        request.path,
      ),
      operation: context.commandName?.replace(/Command$/, ""),
      body: await toReplayableBody(
        request.body,
        recovery.replayBufferBytes,
        declaredLength(request.headers),
      ),
    };
    const resendAllowed = (await config.maxAttempts?.()) !== 1;
    const first = await sendAttempt(scope, false);
    if (first.ok) return first.output;
    const ctx = { replayable: scope.body.replayable, resendAllowed };
    if (recovery.observe(first.obs, ctx).decision.action !== "resend") throw first.error;
    const second = await sendAttempt(scope, true);
    if (second.ok) {
      if (second.obs) recovery.recovered(second.obs, 2, first.obs.sentAt);
      return second.output;
    }
    // The core sees this was the corrective resend: it diagnoses and never resends again.
    recovery.observe(second.obs, ctx);
    throw second.error;
  };

/** Signs and sends one attempt on the current offset; every response is sampled. */
async function sendAttempt<Input extends object, Output extends object>(
  scope: RequestScope<Input, Output>,
  resent: boolean,
): Promise<Outcome<Output>> {
  const { recovery, host, context } = scope;
  const offsetMs = recovery.offsetMs(host);
  // The SDK signs at `Date.now() + systemClockOffset`: express the server's time by skewguard's
  // (possibly injected) clock in those terms.
  signWithOffset(context, scope.config, recovery.serverNow(host) - Date.now());
  const sentAt = recovery.clock.now();
  /** Called once the outcome is in: the capture middleware has seen the signed request by then. */
  const attempt = (failed: boolean): AttemptFacts => {
    if (!failed) dropSignedFacts(context);
    const signed = failed ? takeSignedFacts(context) : undefined;
    return {
      host,
      ...(scope.operation ? { operation: scope.operation } : {}),
      sentAt,
      receivedAt: recovery.clock.now(),
      offsetMs,
      resent,
      ...(signed ? { signed } : {}),
    };
  };
  try {
    const output = await scope.next(argsFor(scope));
    const obs = observeResponse(output.response, attempt(false));
    if (obs) recovery.sample(obs);
    return obs ? { ok: true, output, obs } : { ok: true, output };
  } catch (error) {
    clearSkewCorrectedFlag(error);
    const obs = observeError(error, attempt(true));
    // No response (a reset connection, an abort): nothing about the clock; the SDK decides.
    if (!obs) throw error;
    return { ok: false, error, obs };
  }
}

/** The request for this attempt: the same one, unless its body must be a fresh stream. */
function argsFor<Input extends object, Output extends object>(
  scope: RequestScope<Input, Output>,
): FinalizeHandlerArguments<Input> {
  const { args, body } = scope;
  const request = args.request as HttpRequest;
  const attemptBody = body.next();
  if (attemptBody === request.body) return args;
  // A clone, so the SDK's own next attempt still finds the user's body where it left it.
  const attemptRequest = HttpRequest.clone(request);
  attemptRequest.body = attemptBody;
  return { ...args, request: attemptRequest };
}
