// The documented API of the core: diagnosis, events, the offset store, errors and the options
// every adapter shares. Adapter plumbing (the engine, parsers, replay buffers) is in
// `@skewguard/diagnosis/adapter`.
export { diagnose } from "./diagnose.js";
export type { DiagnoseInput } from "./diagnose.js";
export { diagnosisOf } from "./diagnosis-of.js";
export { diagnoseResponse } from "./diagnose-response.js";
export type { RefusedResponse } from "./diagnose-response.js";
export { diagnosePasted, readPastedFailure } from "./pasted-failure.js";
export type {
  DiagnosePastedOptions,
  PastedFailure,
  PastedShape,
  ReadPastedOptions,
} from "./pasted-failure.js";
export { CATALOGUE } from "./catalogue.js";
export type { CatalogueEntry } from "./catalogue.js";
export { OffsetStore, getDefaultOffsetStore, DEFAULT_MAX_HOSTS } from "./offset-store.js";
export type { OffsetStoreOptions, ObserveResult, HeldCorrection } from "./offset-store.js";
export { RECOVERY_DEFAULTS } from "./recovery.js";
export type { RecoveryOptions } from "./recovery.js";
export { EVENT_TYPES, channelName } from "./events.js";
export type {
  SkewguardEvent,
  SkewguardEventType,
  EventCommon,
  SkewDetectedEvent,
  SkewCorrectedEvent,
  RequestResignedEvent,
  RequestRecoveredEvent,
  RecoverySkippedEvent,
  SignatureDiagnosedEvent,
} from "./events.js";
export type { Logger } from "./emitter.js";
export { redact, redactString, REDACTED, truncateRedacted } from "./redact.js";
export { SkewguardError, isSkewguardError } from "./errors.js";
export type { SkewguardErrorCode } from "./errors.js";
export { systemClock } from "./clock.js";
export type {
  Clock,
  Provider,
  HeaderMap,
  TimeSource,
  TimeEvidence,
  ErrorFacts,
  SignedFacts,
  Observation,
  ClientEvidence,
  OffsetEstimate,
  SampleOutcome,
  SkipReason,
  ClockVerdict,
  Cause,
  Confidence,
  EvidenceItem,
  Diagnosis,
  CandidateCause,
} from "./types.js";

// Formatting, signed URLs and their verdict (the `skewguard` command's core, usable from code).
export { formatMs, formatDuration, formatIso, describeOffset } from "./format.js";
export {
  parseSignedUrl,
  signedFactsOfUrl,
  SIGV4_FUTURE_ALLOWANCE_MS,
  MAX_EXPIRES_SECONDS,
} from "./signed-url.js";
export type { SignedUrlFacts, SignedUrlKind, SignedUrlObservation } from "./signed-url.js";
export { judgeSignedUrl } from "./url-verdict.js";
export type {
  ClockView,
  JudgeSignedUrlInput,
  UrlJudgement,
  UrlState,
  UrlVerdict,
} from "./url-verdict.js";
export { windowImpacts } from "./window-impacts.js";
export type { ImpactStatus, WindowImpact } from "./window-impacts.js";
