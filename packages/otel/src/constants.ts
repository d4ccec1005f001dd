/**
 * Names the bridge writes into traces and metrics. They are part of the public contract:
 * dashboards and alerts are built on them, so they only ever gain entries.
 */

/** The instrumentation scope the default meter is created under. */
export const INSTRUMENTATION_SCOPE = "@skewguard/otel";

/** Metric instrument names. */
export const METRIC_NAMES = {
  /** Counter: offsets corrected (`skew.corrected`) and requests re-signed (`request.resigned`). */
  corrections: "skewguard.corrections",
  /** Counter: re-signed requests that then succeeded (`request.recovered`). */
  recoveries: "skewguard.recoveries",
  /** Counter: failures the clock may have caused that were not resent, by reason. */
  skippedRecoveries: "skewguard.recoveries.skipped",
  /** Counter: signature failures diagnosed, by cause. */
  diagnoses: "skewguard.diagnoses",
  /** Histogram: the size of each newly learned offset, ms. */
  clockOffset: "skewguard.clock.offset",
} as const;

/** Attribute keys on span events and measurements. */
export const ATTRIBUTES = {
  provider: "skewguard.provider",
  host: "skewguard.host",
  operation: "skewguard.operation",
  requestId: "skewguard.request_id",
  offsetMs: "skewguard.offset_ms",
  offsetLowMs: "skewguard.offset_low_ms",
  offsetHighMs: "skewguard.offset_high_ms",
  skewMs: "skewguard.skew_ms",
  sampleOutcome: "skewguard.sample_outcome",
  previousOffsetMs: "skewguard.previous_offset_ms",
  why: "skewguard.why",
  attempts: "skewguard.attempts",
  extraLatencyMs: "skewguard.extra_latency_ms",
  reason: "skewguard.reason",
  cause: "skewguard.cause",
  confidence: "skewguard.confidence",
  summary: "skewguard.summary",
  fixes: "skewguard.fixes",
  deadEnds: "skewguard.dead_ends",
  checked: "skewguard.checked",
  firstDifferenceField: "skewguard.first_difference.field",
  firstDifferenceClient: "skewguard.first_difference.client",
  firstDifferenceServer: "skewguard.first_difference.server",
  /** Prefix of one attribute per evidence item: `skewguard.evidence.server_time`, ... */
  evidencePrefix: "skewguard.evidence.",
  /** On `skewguard.corrections`: `offset` (a new offset learned) or `resend` (a request re-signed). */
  correction: "skewguard.correction",
  /**
   * On `skewguard.clock.offset`: `behind` or `ahead`. Histograms take no negative values, so
   * the sign of the offset travels here and the magnitude is recorded.
   */
  localClock: "skewguard.local_clock",
} as const;

/**
 * Bucket boundaries advised for `skewguard.clock.offset`, ms. The SDK's defaults stop at 10 s,
 * while the offsets worth seeing run from sub-second drift to a board that booted in 1970;
 * these separate "within the sampling error", "inside the providers' windows" (5 and 15 min)
 * and "days off". A View overrides them.
 */
export const OFFSET_BUCKETS_MS: readonly number[] = [
  0, 100, 500, 1_000, 5_000, 30_000, 60_000, 240_000, 300_000, 900_000, 3_600_000, 86_400_000,
  31_536_000_000,
];
