import { context, type Meter, type Span, type Tracer, trace } from "@opentelemetry/api";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import { eventAttributes } from "./attributes.js";
import { instrumentSource, recordMetrics } from "./instruments.js";

/** Options of {@link createOtelEventHandler} and `subscribeOtel`. All optional. */
export interface OtelBridgeOptions {
  /**
   * Where events that happen outside any active span go: with a tracer, each becomes a short
   * span of its own (`skewguard <type>`), so a correction made by a background probe or a token
   * refresh still shows in the trace backend. Without one, such events reach only the metrics.
   * @default undefined (no spans are started)
   */
  tracer?: Tracer;
  /**
   * The meter the instruments are created on.
   * @default a meter named `@skewguard/otel` from the global MeterProvider, looked up again
   *   whenever the global provider changes
   */
  meter?: Meter;
  /**
   * Add each event to the active span as a span event named after the event type.
   * @default true
   */
  spanEvents?: boolean;
  /**
   * Record the counters and the offset histogram.
   * @default true
   */
  metrics?: boolean;
}

/** A function to pass as skewguard's `onEvent` option. */
export type OtelEventHandler = (event: SkewguardEvent) => void;

/**
 * Returns an `onEvent` callback that turns skewguard events into span events on the active
 * span and into metrics. It never throws: observability must not break the request it observes.
 */
export function createOtelEventHandler(options: OtelBridgeOptions = {}): OtelEventHandler {
  const { tracer, meter, spanEvents = true, metrics = true } = options;
  const instruments = metrics ? instrumentSource(meter) : undefined;
  return (event) => {
    if (!isEvent(event)) return;
    if (spanEvents) guard(() => addSpanEvent(event, tracer));
    if (instruments) guard(() => recordMetrics(instruments(), event));
  };
}

function addSpanEvent(event: SkewguardEvent, tracer: Tracer | undefined): void {
  // No timestamp from event.time: that is on skewguard's injected clock (faked in tests,
  // possibly the very clock that is wrong), while the span's timeline is the tracer's.
  const active = trace.getActiveSpan();
  if (active) {
    addTo(active, event);
    return;
  }
  if (!tracer) return;
  const span = tracer.startSpan(`skewguard ${event.type}`, {}, context.active());
  try {
    addTo(span, event);
  } finally {
    span.end();
  }
}

function addTo(span: Span, event: SkewguardEvent): void {
  if (span.isRecording()) span.addEvent(event.type, eventAttributes(event));
}

function isEvent(value: unknown): value is SkewguardEvent {
  if (typeof value !== "object" || value === null) return false;
  const { type, provider, host } = value as Record<string, unknown>;
  return typeof type === "string" && typeof provider === "string" && typeof host === "string";
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // A broken exporter or SDK must never reach the request being observed.
  }
}
