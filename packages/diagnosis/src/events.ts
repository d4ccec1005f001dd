import type { Diagnosis, EvidenceItem, Provider, SampleOutcome, SkipReason } from "./types.js";

/**
 * The events skewguard emits: a JSON-serialisable union with stable names. Fields may be
 * added; names and meanings of existing ones do not change within a major version.
 */

/** Fields every event carries. */
export interface EventCommon {
  /** ISO 8601, on the injected clock. */
  time: string;
  provider: Provider;
  /** The endpoint, `host[:port]`. */
  host: string;
  operation?: string;
  requestId?: string;
  /** The learned offset (server minus local), ms, when one is known. */
  offsetMs?: number;
  /** The bounds of that offset, ms. */
  offsetBoundsMs?: [number, number];
  evidence?: EvidenceItem[];
}

/** A response showed the local clock off the server's. */
export interface SkewDetectedEvent extends EventCommon {
  type: "skew.detected";
  /** How far the attempt's signing time was off, ms (positive: the local clock is behind). */
  skewMs: number;
  /** How the estimator took the sample. */
  sampleOutcome: SampleOutcome;
}

/** The offset used for signing to this endpoint changed. */
export interface SkewCorrectedEvent extends EventCommon {
  type: "skew.corrected";
  previousOffsetMs: number;
}

/** A failed attempt is being re-signed on the corrected clock and resent at once. */
export interface RequestResignedEvent extends EventCommon {
  type: "request.resigned";
  skewMs: number;
  why: string;
}

/** A re-signed request succeeded. */
export interface RequestRecoveredEvent extends EventCommon {
  type: "request.recovered";
  /** Attempts the request took, counting the resend. */
  attempts: number;
  /** Time spent on the failed attempt, ms. */
  extraLatencyMs: number;
}

/** A failure the clock may have caused was not resent. */
export interface RecoverySkippedEvent extends EventCommon {
  type: "recovery.skipped";
  reason: SkipReason;
  why: string;
}

/** A signature failure was diagnosed. */
export interface SignatureDiagnosedEvent extends EventCommon {
  type: "signature.diagnosed";
  diagnosis: Diagnosis;
}

export type SkewguardEvent =
  | SkewDetectedEvent
  | SkewCorrectedEvent
  | RequestResignedEvent
  | RequestRecoveredEvent
  | RecoverySkippedEvent
  | SignatureDiagnosedEvent;

export type SkewguardEventType = SkewguardEvent["type"];

/** Every event name, in the order a recovery produces them. */
export const EVENT_TYPES: readonly SkewguardEventType[] = [
  "skew.detected",
  "skew.corrected",
  "request.resigned",
  "request.recovered",
  "recovery.skipped",
  "signature.diagnosed",
];

/** The `node:diagnostics_channel` name an event type is published on. */
export function channelName(type: SkewguardEventType): string {
  return `skewguard:${type}`;
}
