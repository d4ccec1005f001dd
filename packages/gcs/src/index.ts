export { withSkewRecovery } from "./with-skew-recovery.js";
export type { StorageLike } from "./with-skew-recovery.js";
export { getSignedUrl, signingWindow } from "./signed-url.js";
export type { SignableFile, SigningAuth, SigningWindow } from "./signed-url.js";
export { diagnoseSignedUrlResponse } from "./signed-url-diagnosis.js";
export type { DiagnoseSignedUrlOptions, SignedUrlResponse } from "./signed-url-diagnosis.js";
export { diagnosisOf } from "@skewguard/diagnosis";
export type { GcsSkewOptions } from "./options.js";
export { JWT_LIFETIME_SECONDS } from "./constants.js";
export {
  signV4Url,
  prepareV4SignedUrl,
  resolveV4Target,
  formatV4DateTime,
  v4CredentialScope,
  encodeV4Segment,
  encodeV4Path,
  V4_ALGORITHM,
  V4_MAX_EXPIRES_SECONDS,
} from "./v4-signer.js";
export type {
  V4Sign,
  V4SigningKey,
  V4UrlStyle,
  V4Target,
  V4HeaderValue,
  V4SignedUrlOptions,
  V4SigningRequest,
  V4SignedUrl,
  V4ResolvedTarget,
} from "./v4-signer.js";
export { signV4PostPolicy } from "./v4-post-policy.js";
export type { V4PolicyCondition, V4PostPolicyOptions, V4PostPolicy } from "./v4-post-policy.js";
