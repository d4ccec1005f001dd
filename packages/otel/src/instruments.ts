import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
} from "@opentelemetry/api";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import { ATTRIBUTES, INSTRUMENTATION_SCOPE, METRIC_NAMES, OFFSET_BUCKETS_MS } from "./constants.js";

/** The bridge's instruments, created together from one meter. */
export interface Instruments {
  corrections: Counter;
  recoveries: Counter;
  skippedRecoveries: Counter;
  diagnoses: Counter;
  clockOffset: Histogram;
}

export function createInstruments(meter: Meter): Instruments {
  return {
    corrections: meter.createCounter(METRIC_NAMES.corrections, {
      description: "Clock offsets corrected and requests re-signed on the corrected clock",
      unit: "{correction}",
    }),
    recoveries: meter.createCounter(METRIC_NAMES.recoveries, {
      description: "Re-signed requests that succeeded",
      unit: "{request}",
    }),
    skippedRecoveries: meter.createCounter(METRIC_NAMES.skippedRecoveries, {
      description: "Failures the clock may have caused that were not resent, by reason",
      unit: "{request}",
    }),
    diagnoses: meter.createCounter(METRIC_NAMES.diagnoses, {
      description: "Signature failures diagnosed, by cause",
      unit: "{diagnosis}",
    }),
    clockOffset: meter.createHistogram(METRIC_NAMES.clockOffset, {
      description: "Size of each newly learned offset between the local and a server's clock",
      unit: "ms",
      advice: { explicitBucketBoundaries: [...OFFSET_BUCKETS_MS] },
    }),
  };
}

/**
 * Instruments for a meter the user passed, or for the global MeterProvider. The metrics API
 * has no proxy provider (unlike tracing), so a handler created at import time, before the SDK
 * starts, would hold no-op instruments for ever; the global provider is looked up on each event
 * instead and the instruments rebuilt when it changed.
 */
export function instrumentSource(meter: Meter | undefined): () => Instruments {
  if (meter) {
    const fixed = createInstruments(meter);
    return () => fixed;
  }
  let provider: MeterProvider | undefined;
  let current: Instruments | undefined;
  return () => {
    const now = metrics.getMeterProvider();
    if (current === undefined || now !== provider) {
      provider = now;
      current = createInstruments(now.getMeter(INSTRUMENTATION_SCOPE));
    }
    return current;
  };
}

/** Records what one event means for the metrics; events that measure nothing are ignored. */
export function recordMetrics(instruments: Instruments, event: SkewguardEvent): void {
  const where: Attributes = {
    [ATTRIBUTES.provider]: event.provider,
    [ATTRIBUTES.host]: event.host,
  };
  switch (event.type) {
    case "skew.corrected":
      instruments.corrections.add(1, { ...where, [ATTRIBUTES.correction]: "offset" });
      recordOffset(instruments.clockOffset, event.offsetMs, where);
      break;
    case "request.resigned":
      instruments.corrections.add(1, { ...where, [ATTRIBUTES.correction]: "resend" });
      break;
    case "request.recovered":
      instruments.recoveries.add(1, where);
      break;
    case "recovery.skipped":
      instruments.skippedRecoveries.add(1, { ...where, [ATTRIBUTES.reason]: event.reason });
      break;
    case "signature.diagnosed":
      instruments.diagnoses.add(1, { ...where, [ATTRIBUTES.cause]: event.diagnosis.cause });
      break;
    // skew.detected precedes every skew.corrected: counting it too would count each fix twice.
  }
}

function recordOffset(histogram: Histogram, offsetMs: number | undefined, where: Attributes) {
  if (typeof offsetMs !== "number" || !Number.isFinite(offsetMs)) return;
  // Offset is server minus local: positive means the local clock is behind.
  const localClock = offsetMs >= 0 ? "behind" : "ahead";
  histogram.record(Math.abs(offsetMs), { ...where, [ATTRIBUTES.localClock]: localClock });
}
