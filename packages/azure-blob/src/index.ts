export { withSkewRecovery } from "./with-skew-recovery.js";
export type { SkewRecoveryOptions } from "./with-skew-recovery.js";
export { generateBlobSasUrl, generateContainerSasUrl, generateAccountSasUrl } from "./sas.js";
export type {
  SasClockOptions,
  BlobSasUrlOptions,
  ContainerSasUrlOptions,
  AccountSasUrlOptions,
} from "./sas.js";
// So that a handler or a catch block is typed with one import.
export { diagnosisOf, isSkewguardError, SkewguardError } from "@skewguard/diagnosis";
export type {
  Diagnosis,
  RecoveryOptions,
  SkewguardErrorCode,
  SkewguardEvent,
} from "@skewguard/diagnosis";
