import type { AttemptReport, SkewRecovery } from "@skewguard/diagnosis/adapter";
import { endpointKey } from "@skewguard/diagnosis/adapter";
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
import { type ClockConfig, clearSkewCorrectedFlag, signWithOffset } from "./sdk-clock.js";
import { dropSignedFacts, takeSignedFacts } from "./signed-request.js";

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
  ): FinalizeRequestMiddleware<Input, Output> =>
  (next: FinalizeHandler<Input, Output>, context: HandlerExecutionContext) =>
  async (args: FinalizeHandlerArguments<Input>): Promise<FinalizeHandlerOutput<Output>> => {
    if (!HttpRequest.isInstance(args.request)) return next(args);
    const request = args.request;
    const host =
      endpointKey(request, (args.input as { Bucket?: unknown }).Bucket) ?? request.hostname;
    const operation = context.commandName?.replace(/Command$/, "");
    const resendAllowed = (await config.maxAttempts?.()) !== 1;
    const signal = abortSignalOf(context);
    // Nothing is read ahead: the first attempt streams the body while a copy is kept.
    const body = toReplayableBody(
      request.body,
      recovery.replayBufferBytes,
      declaredLength(request.headers),
    );
    try {
      return await recovery.run(
        {
          host,
          ...(operation ? { operation } : {}),
          replayable: () => body.replayable,
          resendAllowed,
          ...(signal ? { signal } : {}),
        },
        async ({ offsetMs }) => {
          // The SDK signs at `Date.now() + systemClockOffset`: express the server's time by
          // skewguard's (possibly injected) clock in those terms.
          signWithOffset(context, config, recovery.clock.now() + offsetMs - Date.now());
          return send(next, withBody(args, body), context);
        },
      );
    } finally {
      // The copy lives as long as the request, not a moment longer.
      body.release();
    }
  };

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
    clearSkewCorrectedFlag(error);
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
