export { getSkewRecoveryPlugin } from "./s3-plugin.js";
export type {
  ClockConfig,
  PluginStack,
  SkewRecoveryPlugin,
  SkewRecoveryPluginOptions,
} from "@skewguard/aws";
export { getSignedUrl } from "./presign.js";
export type { S3Command, SignedUrlOptions } from "./presign.js";
export { createPresignedPost } from "./presigned-post.js";
export type {
  PresignedPost,
  PresignedPostOptions,
  PresignedPostSigningOptions,
} from "./presigned-post.js";
export { SIGNED_REQUEST_CAPTURE_NAME, SKEW_RECOVERY_MIDDLEWARE_NAME } from "@skewguard/aws";
// So that a handler or a catch block is typed with one import.
export { diagnosisOf, isSkewguardError, SkewguardError } from "@skewguard/diagnosis/engine";
export type {
  Diagnosis,
  RecoveryOptions,
  SkewguardErrorCode,
  SkewguardEvent,
} from "@skewguard/diagnosis";
