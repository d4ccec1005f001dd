export { getSkewRecoveryPlugin } from "./plugin.js";
export type { PluginStack, SkewRecoveryPlugin, SkewRecoveryPluginOptions } from "./plugin.js";
export type { ClockConfig } from "./sdk-clock.js";
export { SIGNED_REQUEST_CAPTURE_NAME, SKEW_RECOVERY_MIDDLEWARE_NAME } from "./constants.js";
// So that a handler or a catch block is typed with one import.
export { diagnosisOf, isSkewguardError, SkewguardError } from "@skewguard/diagnosis/engine";
export type {
  Diagnosis,
  RecoveryOptions,
  SkewguardErrorCode,
  SkewguardEvent,
} from "@skewguard/diagnosis";
