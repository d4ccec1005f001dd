// The documented API of @skewguard/gcs. The V4 signer, the hooks and the sampling are
// internal: their names may change in any release.
export { withSkewRecovery } from "./with-skew-recovery.js";
export type { StorageLike } from "./with-skew-recovery.js";
export { getSignedUrl } from "./signed-url.js";
export type { SignableFile } from "./signed-url.js";
export { generateSignedPostPolicyV4 } from "./post-policy.js";
export type { PostPolicyFile } from "./post-policy.js";
export { diagnoseSignedUrlResponse } from "./signed-url-diagnosis.js";
export type { DiagnoseSignedUrlOptions, SignedUrlResponse } from "./signed-url-diagnosis.js";
export type { GcsSkewOptions } from "./options.js";
// So that a handler or a catch block is typed with one import.
export { diagnosisOf, isSkewguardError, SkewguardError } from "@skewguard/diagnosis";
export type {
  Diagnosis,
  RecoveryOptions,
  SkewguardErrorCode,
  SkewguardEvent,
} from "@skewguard/diagnosis";
