export { systemClock, RELEASE_TIME_MS, isPlausibleLocalTime } from "./clock.js";
export {
  addSample,
  readSample,
  evidenceInterval,
  estimateWidthMs,
  DEFAULT_MAX_ROUND_TRIP_MS,
  DEFAULT_MAX_CORRECTION_MS,
  DEFAULT_MAX_DRIFT_PPM,
  DEFAULT_DISAGREEMENT_SLACK_MS,
} from "./estimator.js";
export type {
  EstimatorSample,
  EstimatorOptions,
  EstimatorState,
  OffsetInterval,
  PendingStep,
  SampleResult,
  SampleReading,
} from "./estimator.js";
export {
  OffsetStore,
  getDefaultOffsetStore,
  normalizeHost,
  DEFAULT_MAX_HOSTS,
} from "./offset-store.js";
export type { OffsetStoreOptions, ObserveResult } from "./offset-store.js";
export {
  classifyClockVerdict,
  isPresignedExpiry,
  hasTimeComplaint,
  DEFINITE_SKEW_CODES,
  POSSIBLE_SKEW_CODES,
  NEVER_CLOCK_CODES,
  DEFAULT_SERVER_WINDOW_MS,
} from "./constants.js";
export { decide, formatMs, DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
export type { DecideInput, DecideOptions } from "./decide.js";
export { diagnose } from "./diagnose.js";
export type { DiagnoseInput } from "./diagnose.js";
export { CATALOGUE } from "./catalogue.js";
export type { CatalogueEntry } from "./catalogue.js";
export {
  diffStringToSign,
  diffCanonicalRequest,
  parseV4StringToSign,
  parseAmzDate,
} from "./signing-diff.js";
export type { FieldDifference, V4StringToSign } from "./signing-diff.js";
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
export { createEventSink } from "./emitter.js";
export type { Logger, EventSink, EventSinkOptions } from "./emitter.js";
export { redact, redactString, REDACTED } from "./redact.js";
export { SkewguardError, isSkewguardError } from "./errors.js";
export type { SkewguardErrorCode } from "./errors.js";
export { parseHttpDate } from "./http-date.js";
export { parseS3ErrorXml, s3FieldsToFacts } from "./parse-s3.js";
export { parseGcsErrorJson } from "./parse-gcs.js";
export { parseAzureErrorXml, parseAzureAuthenticationDetail } from "./parse-azure.js";
export { readEvidence, readCapped, DEFAULT_BODY_CAP_BYTES } from "./evidence.js";
export type { ResponseEvidence } from "./evidence.js";
export { readUpTo, prependChunks } from "./replay-buffer.js";
export type { BufferedPrefix } from "./replay-buffer.js";
export { probeServerClock, DEFAULT_PROBE_TIMEOUT_MS } from "./probe.js";
export type { ProbeOptions, ProbeTarget } from "./probe.js";
export { SkewRecovery, RECOVERY_DEFAULTS } from "./recovery.js";
export type { RecoveryOptions, AttemptResult, AttemptContext } from "./recovery.js";
export type {
  Clock,
  Provider,
  HeaderMap,
  TimeSource,
  TimeEvidence,
  ErrorFacts,
  SignedFacts,
  Observation,
  OffsetEstimate,
  SampleOutcome,
  DecisionAction,
  SkipReason,
  ClockVerdict,
  Decision,
  Cause,
  Confidence,
  EvidenceItem,
  Diagnosis,
} from "./types.js";

// Formatting, signed URLs and their verdict (the `skewguard` command's core, usable from code).
// `formatMs` is exported above, from decide.js, which re-exports format.js's.
export { formatDuration, formatIso, describeOffset } from "./format.js";
export {
  parseSignedUrl,
  signedFactsOfUrl,
  signedUrlSecrets,
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
