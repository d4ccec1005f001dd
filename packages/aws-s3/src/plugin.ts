import type { RecoveryOptions } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import type { Pluggable } from "@smithy/types";
import { SIGNED_REQUEST_CAPTURE_NAME, SKEW_RECOVERY_MIDDLEWARE_NAME } from "./constants.js";
import { skewRecoveryMiddleware } from "./middleware.js";
import type { ClockConfig } from "./sdk-clock.js";
import { signedRequestCapture } from "./signed-request.js";

/** Options of `getSkewRecoveryPlugin`: the common skewguard options. */
export type SkewRecoveryPluginOptions = RecoveryOptions;

const recoveries = new WeakMap<object, SkewRecovery>();

/**
 * The plugin: `s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent }))`.
 * It places one middleware between the SDK's retry and signing middleware, and one after
 * signing that notes what was signed (for the diagnosis; never the signature).
 */
export function getSkewRecoveryPlugin<Input extends object, Output extends object>(
  config: ClockConfig,
  options: SkewRecoveryPluginOptions = {},
): Pluggable<Input, Output> {
  const recovery = new SkewRecovery("s3", options);
  recoveries.set(config, recovery);
  return {
    applyToStack: (stack) => {
      stack.addRelativeTo(skewRecoveryMiddleware<Input, Output>(config, recovery), {
        name: SKEW_RECOVERY_MIDDLEWARE_NAME,
        relation: "before",
        toMiddleware: "httpSigningMiddleware",
        override: true,
      });
      stack.addRelativeTo(signedRequestCapture<Input, Output>(), {
        name: SIGNED_REQUEST_CAPTURE_NAME,
        relation: "after",
        toMiddleware: "httpSigningMiddleware",
        override: true,
      });
    },
  };
}

/** The engine a plugin registered for this client config, if any (the presigner uses it). */
export function recoveryFor(config: object): SkewRecovery | undefined {
  return recoveries.get(config);
}
