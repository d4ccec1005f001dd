/** The name the recovery middleware carries in the client's stack. */
export const SKEW_RECOVERY_MIDDLEWARE_NAME = "skewRecoveryMiddleware";

/** The name of the middleware that notes what the SDK signed, right after signing. */
export const SIGNED_REQUEST_CAPTURE_NAME = "skewguardSignedRequestCapture";
