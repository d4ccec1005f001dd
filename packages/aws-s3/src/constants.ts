/** The name the recovery middleware carries in the client's stack. */
export const SKEW_RECOVERY_MIDDLEWARE_NAME = "skewRecoveryMiddleware";

/** The name of the middleware that notes what the SDK signed, right after signing. */
export const SIGNED_REQUEST_CAPTURE_NAME = "skewguardSignedRequestCapture";

/**
 * Defaults specific to S3 (the shared ones live in `RECOVERY_DEFAULTS` of @skewguard/diagnosis).
 */
export const S3_DEFAULTS = {
  /** How long `getSignedUrl` waits for its one HEAD probe of an endpoint with no learned offset. */
  probeTimeoutMs: 3_000,
} as const;
