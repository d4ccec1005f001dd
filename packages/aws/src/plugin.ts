import type { RecoveryOptions } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/engine";
import type { MiddlewareStack } from "@smithy/types";
import { SIGNED_REQUEST_CAPTURE_NAME, SKEW_RECOVERY_MIDDLEWARE_NAME } from "./constants.js";
import { type EndpointOf, skewRecoveryMiddleware } from "./middleware.js";
import type { ClockConfig } from "./sdk-clock.js";
import { signedRequestCapture } from "./signed-request.js";

/** Options of `getSkewRecoveryPlugin`: the common skewguard options. */
export type SkewRecoveryPluginOptions = RecoveryOptions;

/**
 * What `getSkewRecoveryPlugin` returns, for `client.middlewareStack.use(...)`. It is typed by
 * its shape, not with `@smithy/types`' `Pluggable`: a client brings its own copy of
 * `@smithy/types` (3.x for clients of 2024, 4.x later), and a type from any other copy would not
 * be assignable to its stack's. This one fits the middleware stack of every copy.
 */
export interface SkewRecoveryPlugin {
  applyToStack(stack: PluginStack): void;
}

/** The one method of a client's middleware stack that the plugin calls. */
export interface PluginStack {
  addRelativeTo(
    middleware: never,
    options: {
      name: string;
      relation: "before" | "after";
      toMiddleware: string;
      override: boolean;
    },
  ): void;
}

const recoveries = new WeakMap<object, SkewRecovery>();

/**
 * The plugin, for any AWS SDK for JavaScript v3 client (DynamoDB, SQS, SNS, STS, Lambda, KMS,
 * Kinesis, Secrets Manager, EC2, ...). It places one middleware between the SDK's retry and
 * signing middleware, which hands each attempt to skewguard's engine (signs on the server's
 * clock, resends a failure the clock caused at once, attaches the diagnosis of any other
 * signature failure: `diagnosisOf`), and one after signing that notes what was signed (for the
 * diagnosis; never the signature). Events name the provider `aws`; for S3 use
 * `@skewguard/aws-s3`, whose plugin also shares one clock between the buckets of an endpoint.
 * Options are validated here: a wrong value throws `SkewguardError` `SKEWGUARD_INVALID_OPTION`.
 * Defaults: see `RecoveryOptions` (`replayBufferBytes` 8 MiB, `possibleSkewThresholdMs` 60 s,
 * `probe` true, `probeTimeoutMs` 3 s, the process-wide offset store).
 *
 * @example
 * ```ts
 * const dynamo = new DynamoDBClient({ region: "eu-west-1" });
 * dynamo.middlewareStack.use(getSkewRecoveryPlugin(dynamo.config, { onEvent: (e) => log.info(e) }));
 * try {
 *   await dynamo.send(new GetItemCommand({ TableName: "t", Key: { id: { S: "1" } } }));
 * } catch (error) {
 *   console.error(diagnosisOf(error)?.summary);
 *   throw error;
 * }
 * ```
 */
export function getSkewRecoveryPlugin(
  config: ClockConfig,
  options: SkewRecoveryPluginOptions = {},
): SkewRecoveryPlugin {
  return skewRecoveryPlugin(config, new SkewRecovery("aws", options));
}

/**
 * The plugin over a given engine: what `getSkewRecoveryPlugin` of this package and of
 * `@skewguard/aws-s3` are made of. `endpointOf` names the offset store's key of a request.
 */
export function skewRecoveryPlugin(
  config: ClockConfig,
  recovery: SkewRecovery,
  endpointOf?: EndpointOf,
): SkewRecoveryPlugin {
  recoveries.set(config, recovery);
  return {
    applyToStack: (pluginStack) => {
      // The client's own stack, whichever copy of `@smithy/types` describes it.
      const stack = pluginStack as unknown as MiddlewareStack<object, object>;
      stack.addRelativeTo(skewRecoveryMiddleware<object, object>(config, recovery, endpointOf), {
        name: SKEW_RECOVERY_MIDDLEWARE_NAME,
        relation: "before",
        toMiddleware: "httpSigningMiddleware",
        override: true,
      });
      stack.addRelativeTo(signedRequestCapture<object, object>(), {
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
