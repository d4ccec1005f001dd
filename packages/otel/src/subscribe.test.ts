import { afterEach, describe, expect, it } from "vitest";
import { ATTRIBUTES, METRIC_NAMES } from "./constants.js";
import {
  counterValue,
  createMetricsHarness,
  createTracingHarness,
  MIN,
  resetOtelGlobals,
  S3_SKEWED,
  skewedEngine,
} from "./otel-sdk.fixture.js";
import { subscribeOtel } from "./subscribe.js";

afterEach(resetOtelGlobals);

describe("subscribeOtel", () => {
  it("hears engines that were given no onEvent, until unsubscribed", async () => {
    const tracing = createTracingHarness();
    const meters = createMetricsHarness();
    const tracer = tracing.provider.getTracer("app");
    const unsubscribe = subscribeOtel({ meter: meters.provider.getMeter("test") });
    const engine = skewedEngine("s3", 15 * MIN);
    try {
      await tracer.startActiveSpan("upload", async (span) => {
        await engine.run([
          { status: 403, body: S3_SKEWED },
          { status: 200, body: "" },
        ]);
        span.end();
      });
    } finally {
      unsubscribe();
    }
    unsubscribe();
    // After unsubscribing, a second engine's correction reaches neither traces nor metrics.
    const later = skewedEngine("s3", 30 * MIN);
    await tracer.startActiveSpan("upload again", async (span) => {
      await later.run([
        { status: 403, body: S3_SKEWED },
        { status: 200, body: "" },
      ]);
      span.end();
    });

    const [first, second] = tracing.spans();
    expect(first?.events.map((e) => e.name)).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);
    expect(first?.events[0]?.attributes?.[ATTRIBUTES.provider]).toBe("s3");
    expect(second?.events).toEqual([]);
    expect(counterValue(await meters.collect(), METRIC_NAMES.corrections)).toBe(2);
  });
});
