export { getSkewRecoveryPlugin, recoveryFor } from "./plugin.js";
export type { SkewRecoveryPluginOptions } from "./plugin.js";
export { skewRecoveryMiddleware } from "./middleware.js";
export type { ClockConfig } from "./sdk-clock.js";
export { getSignedUrl } from "./presign.js";
export type { SignedUrlOptions } from "./presign.js";
export {
  SIGNED_REQUEST_CAPTURE_NAME,
  SKEW_RECOVERY_MIDDLEWARE_NAME,
  S3_DEFAULTS,
} from "./constants.js";
