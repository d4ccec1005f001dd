import type { AttemptReport, RecoveryOutcome, SkewRecovery } from "@skewguard/diagnosis/adapter";
import { endpointKey } from "@skewguard/diagnosis/engine";
import { HttpRequest, HttpResponse } from "@smithy/protocol-http";
import {
  type FinalizeHandler,
  type FinalizeHandlerArguments,
  type FinalizeHandlerOutput,
  type FinalizeRequestMiddleware,
  type HandlerExecutionContext,
  SMITHY_CONTEXT_KEY,
} from "@smithy/types";
import { declaredLength, type ReplayableBody, toReplayableBody } from "./replayable-body.js";
import {
  type ClockConfig,
  clearSkewCorrectedFlag,
  maxAttemptsOf,
  sdkSigningOffsetMs,
  signWithOffset,
} from "./sdk-clock.js";
import { dropSignedFacts, takeSignedFacts } from "./signed-request.js";

/**
 * The offset store's key for a request (see `endpointKey`): its `host[:port]` by default; a
 * service whose hosts carry a resource name (S3's virtual-hosted buckets) cuts it off, so that
 * every resource behind one endpoint shares one estimate.
 */
export type EndpointOf = (request: HttpRequest, input: object) => string | undefined;

/** Any AWS service: the request's own `host[:port]`. */
export const requestEndpoint: EndpointOf = (request) => endpointKey(request);

/**
 * Sits between `retryMiddleware` and `httpSigningMiddleware`, so it runs once per SDK attempt
 * and sees the request before it is signed. It translates: the engine runs the attempt, and
 * each send signs at the offset the engine chose (a corrective resend happens inside the same
 * SDK attempt: no backoff and no retry token).
 */
export const skewRecoveryMiddleware =
  <Input extends object, Output extends object>(
    config: ClockConfig,
    recovery: SkewRecovery,
    endpointOf: EndpointOf = requestEndpoint,
  ): FinalizeRequestMiddleware<Input, Output> =>
  (next: FinalizeHandler<Input, Output>, context: HandlerExecutionContext) =>
  async (args: FinalizeHandlerArguments<Input>): Promise<FinalizeHandlerOutput<Output>> => {
    if (!HttpRequest.isInstance(args.request)) return next(args);
    const request = args.request;
    const host = endpointOf(request, args.input) ?? request.hostname;
    const operation = context.commandName?.replace(/Command$/, "");
    const resendAllowed = (await maxAttemptsOf(config)) !== 1;
    const signal = abortSignalOf(context);
    // Nothing is read ahead: the first attempt streams the body while a copy is kept.
    const body = toReplayableBody(
      request.body,
      recovery.replayBufferBytes,
      declaredLength(request.headers),
      recovery.replayBudget,
    );
    let outcome: RecoveryOutcome | undefined;
    // What the SDK signs with on its own, in the engine's terms, so the engine can plan it.
    const sdkOffsetMs = await sdkSigningOffsetMs(config);
    try {
      return await recovery.run(
        {
          host,
          ...(operation ? { operation } : {}),
          replayable: () => body.replayable,
          resendAllowed,
          ...(signal ? { signal } : {}),
          // The SDK learns the clock and retries on it: what skewguard declines stays its own.
          sdkClock: true,
          ownOffsetMs: sdkOffsetMs + Date.now() - recovery.clock.now(),
          onOutcome: (told) => {
            outcome = told;
          },
        },
        async (plan) => {
          if (plan.sdkClock) {
            // Signed exactly as without skewguard: report what the SDK signed with.
            signWithOffset(context, undefined);
            const signedMs = await sdkSigningOffsetMs(config);
            const report = await send(next, withBody(args, body), context);
            return { ...report, signedOffsetMs: signedMs + Date.now() - recovery.clock.now() };
          }
          // The SDK signs at `Date.now() + offset`: express the server's time by skewguard's
          // (possibly injected) clock in those terms.
          const offsetMs = recovery.clock.now() + plan.offsetMs - Date.now();
          // The engine planned the SDK's own offset (the usual case: clocks agreeing): the SDK
          // signs at that time on its own, so the common call costs no signer of skewguard's.
          const same = Math.abs(offsetMs - sdkOffsetMs) < SAME_SIGNING_TIME_MS;
          signWithOffset(context, same ? undefined : offsetMs);
          return send(next, withBody(args, body), context);
        },
      );
    } catch (error) {
      // The engine decides; this only translates. Handled by skewguard (resent, or the clock
      // shown right): the SDK's flag would buy a futile retry. Declined: the SDK's own
      // handling stands, flag, offset and retry, exactly as without skewguard.
      if (outcome?.declined === false) clearSkewCorrectedFlag(error);
      throw error;
    } finally {
      // The copy lives as long as the request, not a moment longer.
      body.release();
    }
  };

/**
 * Offsets closer than this sign the same request: `X-Amz-Date` has whole seconds, and this is
 * well inside the jitter between two reads of two clocks.
 */
const SAME_SIGNING_TIME_MS = 5;

/**
 * The `abortSignal` the caller gave `client.send(command, { abortSignal })`, if any: the SDK
 * puts it in the smithy context.
 */
function abortSignalOf(
  context: HandlerExecutionContext,
): { readonly aborted: boolean } | undefined {
  const signal = context[SMITHY_CONTEXT_KEY]?.abortSignal as { aborted?: unknown } | undefined;
  return typeof signal?.aborted === "boolean" ? (signal as { aborted: boolean }) : undefined;
}

/** One send, reported to the engine; what was signed is read only if it failed. */
async function send<Input extends object, Output extends object>(
  next: FinalizeHandler<Input, Output>,
  args: FinalizeHandlerArguments<Input>,
  context: HandlerExecutionContext,
): Promise<AttemptReport<FinalizeHandlerOutput<Output>>> {
  try {
    const output = await next(args);
    dropSignedFacts(context);
    const response = output.response;
    if (!HttpResponse.isInstance(response)) return { value: output };
    return {
      value: output,
      status: response.statusCode,
      response: () => ({ headers: response.headers }),
    };
  } catch (error) {
    const signed = takeSignedFacts(context);
    const response = (error as { $response?: unknown } | null)?.$response;
    // No response (a reset connection, an abort): nothing about the clock; the SDK decides.
    if (!HttpResponse.isInstance(response)) return { error };
    return {
      error,
      status: response.statusCode,
      response: () => ({ error, ...(signed ? { signed } : {}) }),
    };
  }
}

/** The request for this attempt: the same one, unless its body must be a fresh stream. */
function withBody<Input extends object>(
  args: FinalizeHandlerArguments<Input>,
  body: ReplayableBody,
): FinalizeHandlerArguments<Input> {
  const request = args.request as HttpRequest;
  const attemptBody = body.next();
  if (attemptBody === request.body) return args;
  // A clone, so the SDK's own next attempt still finds the user's body where it left it.
  const attemptRequest = HttpRequest.clone(request);
  attemptRequest.body = attemptBody;
  return { ...args, request: attemptRequest };
}
