export { withSkewRecovery, recoveryFor } from "./with-skew-recovery.js";
export type { SkewRecoveryOptions, StorageClientLike } from "./with-skew-recovery.js";
export { clockAwareSharedKeyPolicy } from "./signing-policy.js";
export type { ClockAwareSharedKeyPolicyOptions, SharedKeySigner } from "./signing-policy.js";
export { skewRecoveryPolicy } from "./recovery-policy.js";
export type { SkewRecoveryPolicyOptions } from "./recovery-policy.js";
export { SigningLedger } from "./signing-ledger.js";
export type { SigningRecord } from "./signing-ledger.js";
export { generateBlobSasUrl, generateContainerSasUrl, generateAccountSasUrl } from "./sas.js";
export type {
  SasClockOptions,
  BlobSasUrlOptions,
  ContainerSasUrlOptions,
  AccountSasUrlOptions,
} from "./sas.js";
export { sharedKeyStringToSign } from "./string-to-sign.js";
export { compareHeaderNames } from "./header-collation.js";
export {
  SDK_SHARED_KEY_POLICY_NAME,
  CLOCK_AWARE_SHARED_KEY_POLICY_NAME,
  SKEW_RECOVERY_POLICY_NAME,
  AZURE_DEFAULTS,
} from "./constants.js";
