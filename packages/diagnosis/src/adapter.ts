// Plumbing for skewguard's own adapters and CLI: the recovery engine and what it is built
// from. Not part of the documented API: names here may change in any minor release.
export { SkewRecovery } from "./recovery.js";
export type { SigningTarget } from "./recovery.js";
export { SampleGate } from "./sample-gate.js";
export type {
  RecoveryRequest,
  AttemptPlan,
  AttemptResponse,
  AttemptReport,
  RecoveryOutcome,
  SendAttempt,
} from "./attempt.js";
export { attachDiagnosis } from "./diagnosis-of.js";
export { endpointKey } from "./endpoint.js";
export type { EndpointLike } from "./endpoint.js";
export { toHeaderMap, REQUEST_ID_HEADERS } from "./headers.js";
export { readSdkError } from "./sdk-error.js";
export type { SdkErrorParts } from "./sdk-error.js";
export { readEvidence, readCapped, DEFAULT_BODY_CAP_BYTES } from "./evidence.js";
export type { ResponseEvidence } from "./evidence.js";
export {
  signingWindow,
  startMarginMs,
  DEFAULT_START_MARGIN_MS,
} from "./signing-window.js";
export type { LocalWindow, ServerClockReading, SigningWindow } from "./signing-window.js";
export { teeStreamBody } from "./stream-body.js";
export type { StreamBodyOptions } from "./stream-body.js";
export type { ReplayableStream, TeeOptions } from "./replay-buffer.js";
export { ReplayBudget } from "./replay-budget.js";
export { probeServerClock, PROBE_RETRY_AFTER_MS } from "./probe.js";
export type { ProbeTarget, ProbeRequest } from "./probe.js";
export { createEventSink } from "./emitter.js";
export type { EventSink, EventSinkOptions } from "./emitter.js";
export { RELEASE_TIME_MS, isPlausibleLocalTime } from "./clock.js";
export {
  addSample,
  readSample,
  evidenceInterval,
  estimateWidthMs,
  DEFAULT_MAX_ROUND_TRIP_MS,
  DEFAULT_MAX_CORRECTION_MS,
  DEFAULT_MAX_DRIFT_PPM,
  DEFAULT_DISAGREEMENT_SLACK_MS,
  MAX_REFUTED_READINGS,
} from "./estimator.js";
export type {
  EstimatorSample,
  EstimatorOptions,
  EstimatorState,
  OffsetInterval,
  PendingStep,
  SampleResult,
  SampleReading,
  SigningVerdict,
} from "./estimator.js";
export { normalizeHost } from "./offset-store.js";
export {
  classifyClockVerdict,
  isPresignedExpiry,
  hasTimeComplaint,
  DEFINITE_SKEW_CODES,
  POSSIBLE_SKEW_CODES,
  NEVER_CLOCK_CODES,
  DEFAULT_SERVER_WINDOW_MS,
} from "./constants.js";
export { decide, DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
export { signedUrlSecrets } from "./signed-url.js";
export type { DecideInput, DecideOptions, HeldReading } from "./decide.js";
export {
  diffStringToSign,
  diffCanonicalRequest,
  parseV4StringToSign,
  parseAmzDate,
} from "./signing-diff.js";
export type { FieldDifference, V4StringToSign } from "./signing-diff.js";
export { parseHttpDate } from "./http-date.js";
export { parseS3ErrorXml, s3FieldsToFacts } from "./parse-s3.js";
export { parseGcsErrorJson, readGoogleErrorDocument } from "./parse-gcs.js";
export {
  parseAzureErrorXml,
  parseAzureAuthenticationDetail,
  readAzureErrorDetails,
} from "./parse-azure.js";
export type { DecisionAction, Decision } from "./types.js";
