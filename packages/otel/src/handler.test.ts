import { metrics, trace } from "@opentelemetry/api";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import { afterEach, describe, expect, it } from "vitest";
import { ATTRIBUTES, METRIC_NAMES } from "./constants.js";
import { createOtelEventHandler } from "./handler.js";
import {
  AZURE_SAS_NOT_YET_VALID,
  counterValue,
  createMetricsHarness,
  createTracingHarness,
  histogramPoints,
  MIN,
  PLANTED_SAS_SIG,
  PLANTED_SIGNATURE,
  resetOtelGlobals,
  S3_MISMATCH_ECHOING_AUTHORIZATION,
  S3_SKEWED,
  skewedEngine,
} from "./otel-sdk.fixture.js";

const SKEWED = { status: 403, body: S3_SKEWED };
const OK = { status: 200, body: "" };

afterEach(resetOtelGlobals);

/** Handler, tracer and metrics wired together, plus an engine whose events go to the handler. */
function setup(offsetMs: number, provider: "s3" | "azure" = "s3") {
  const tracing = createTracingHarness();
  const meters = createMetricsHarness();
  const handler = createOtelEventHandler({ meter: meters.provider.getMeter("test") });
  const engine = skewedEngine(provider, offsetMs, handler);
  const tracer = tracing.provider.getTracer("app");
  const inSpan = (fn: () => unknown) =>
    tracer.startActiveSpan("PUT /reports/q4.csv", async (span) => {
      await fn();
      span.end();
    });
  return { ...tracing, ...meters, handler, engine, tracer, inSpan };
}

describe("createOtelEventHandler", () => {
  it("puts a recovery's events on the active span, with flattened attributes", async () => {
    const { engine, inSpan, spans } = setup(15 * MIN);
    await inSpan(async () => {
      expect(await engine.run([SKEWED, OK])).toBe("ok");
    });
    const [span] = spans();
    expect(span?.events.map((e) => e.name)).toEqual([
      "skew.detected",
      "skew.corrected",
      "request.resigned",
      "request.recovered",
    ]);
    const corrected = span?.events[1]?.attributes ?? {};
    expect(corrected[ATTRIBUTES.provider]).toBe("s3");
    expect(corrected[ATTRIBUTES.host]).toBe("127.0.0.1:9000");
    expect(corrected[ATTRIBUTES.operation]).toBe("PutObject");
    expect(corrected[ATTRIBUTES.previousOffsetMs]).toBe(0);
    expect(Math.abs((corrected[ATTRIBUTES.offsetMs] as number) - 15 * MIN)).toBeLessThan(1_000);
    expect(span?.events[3]?.attributes?.[ATTRIBUTES.attempts]).toBe(2);
  });

  it("counts corrections by kind and records the learned offset in the histogram", async () => {
    const { engine, inSpan, collect } = setup(15 * MIN);
    await inSpan(() => engine.run([SKEWED, OK]));
    const collected = await collect();
    const where = { [ATTRIBUTES.provider]: "s3", [ATTRIBUTES.host]: "127.0.0.1:9000" };
    expect(counterValue(collected, METRIC_NAMES.corrections, where)).toBe(2);
    expect(
      counterValue(collected, METRIC_NAMES.corrections, { [ATTRIBUTES.correction]: "offset" }),
    ).toBe(1);
    expect(
      counterValue(collected, METRIC_NAMES.corrections, { [ATTRIBUTES.correction]: "resend" }),
    ).toBe(1);
    expect(counterValue(collected, METRIC_NAMES.recoveries, where)).toBe(1);
    const [offsets, ...others] = histogramPoints(collected, METRIC_NAMES.clockOffset, where);
    expect(others).toEqual([]);
    expect(offsets?.attributes[ATTRIBUTES.localClock]).toBe("behind");
    expect(offsets?.value.count).toBe(1);
    expect(Math.abs((offsets?.value.sum ?? 0) - 15 * MIN)).toBeLessThan(1_000);
    expect(collected.get(METRIC_NAMES.clockOffset)?.descriptor.unit).toBe("ms");
  });

  it("records a clock that runs ahead as a positive offset marked 'ahead'", async () => {
    const { engine, collect } = setup(-20 * MIN);
    await engine.run([SKEWED, OK]);
    const [point] = histogramPoints(await collect(), METRIC_NAMES.clockOffset);
    expect(point?.attributes[ATTRIBUTES.localClock]).toBe("ahead");
    expect(Math.abs((point?.value.sum ?? 0) - 20 * MIN)).toBeLessThan(1_000);
  });

  it("counts skipped recoveries by reason and diagnoses by cause", async () => {
    const { engine, inSpan, spans, collect } = setup(15 * MIN);
    await inSpan(() => engine.run([SKEWED], { replayable: false }));
    const collected = await collect();
    expect(
      counterValue(collected, METRIC_NAMES.skippedRecoveries, {
        [ATTRIBUTES.reason]: "body-not-replayable",
      }),
    ).toBe(1);
    expect(
      counterValue(collected, METRIC_NAMES.diagnoses, { [ATTRIBUTES.cause]: "clock-behind" }),
    ).toBe(1);
    const skipped = spans()[0]?.events.find((e) => e.name === "recovery.skipped");
    expect(skipped?.attributes?.[ATTRIBUTES.reason]).toBe("body-not-replayable");
  });

  it("never lets a signature, an Authorization header or a SAS sig into attributes", async () => {
    const { engine, inSpan, spans, handler } = setup(15 * MIN);
    await inSpan(async () => {
      // A resend on the corrected clock fails again, from a gateway that echoes the header.
      await engine.run([SKEWED, { status: 403, body: S3_MISMATCH_ECHOING_AUTHORIZATION }]);
      // An event that never went through skewguard's sink reaches the handler unredacted.
      handler({
        type: "recovery.skipped",
        time: "2026-11-23T10:00:00.000Z",
        provider: "azure",
        host: "127.0.0.1:10000",
        reason: "not-clock",
        why: `GET /reports/q4.csv?sp=r&sig=${PLANTED_SAS_SIG} Authorization: SharedKey devstoreaccount1:${PLANTED_SIGNATURE}`,
        evidence: [
          { name: "requestUrl", value: `https://x/y?sv=2025-01-05&sig=${PLANTED_SAS_SIG}` },
        ],
      });
    });
    const events = spans()[0]?.events ?? [];
    expect(events.map((e) => e.name)).toContain("signature.diagnosed");
    const text = JSON.stringify(events.map((e) => e.attributes));
    expect(text).toContain("[REDACTED]");
    expect(text).not.toContain(PLANTED_SIGNATURE);
    expect(text).not.toContain(PLANTED_SAS_SIG);
    expect(text).not.toContain(decodeURIComponent(PLANTED_SAS_SIG));
  });

  it("keeps an Azure SAS sig out of the span while counting the diagnosis", async () => {
    const { engine, inSpan, spans, collect } = setup(-5 * MIN, "azure");
    await inSpan(() =>
      engine.run([{ status: 403, body: AZURE_SAS_NOT_YET_VALID }], { presigned: true }),
    );
    const events = spans()[0]?.events ?? [];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.attributes?.[ATTRIBUTES.provider] === "azure")).toBe(true);
    const text = JSON.stringify(events);
    expect(text).toContain("sig=[REDACTED]");
    expect(text).not.toContain(PLANTED_SAS_SIG);
    expect(counterValue(await collect(), METRIC_NAMES.diagnoses)).toBeGreaterThan(0);
  });

  it("outside any span: metrics only, or a span of its own when given a tracer", async () => {
    const { engine, spans, collect, provider, tracer } = setup(15 * MIN);
    await engine.run([SKEWED, OK]);
    expect(spans()).toEqual([]);
    expect(counterValue(await collect(), METRIC_NAMES.corrections)).toBe(2);

    const withTracer = createOtelEventHandler({ tracer, meter: provider.getMeter("test") });
    withTracer(skipped());
    expect(spans().map((s) => s.name)).toEqual(["skewguard recovery.skipped"]);
    expect(spans()[0]?.events.map((e) => e.name)).toEqual(["recovery.skipped"]);
  });

  it("finds the global MeterProvider even when it is registered after the handler", async () => {
    const handler = createOtelEventHandler();
    handler(skipped());
    const first = createMetricsHarness();
    metrics.setGlobalMeterProvider(first.provider);
    handler(skipped());
    expect(counterValue(await first.collect(), METRIC_NAMES.skippedRecoveries)).toBe(1);

    metrics.disable();
    const second = createMetricsHarness();
    metrics.setGlobalMeterProvider(second.provider);
    handler(skipped());
    handler(skipped());
    expect(counterValue(await second.collect(), METRIC_NAMES.skippedRecoveries)).toBe(2);
  });

  it("honours spanEvents: false and metrics: false", async () => {
    const { inSpan, spans, collect, provider } = setup(15 * MIN);
    const noSpans = createOtelEventHandler({ meter: provider.getMeter("a"), spanEvents: false });
    const noMetrics = createOtelEventHandler({ meter: provider.getMeter("b"), metrics: false });
    await inSpan(() => noSpans(skipped()));
    await inSpan(() => noMetrics(skipped()));
    expect(spans().map((s) => s.events.length)).toEqual([0, 1]);
    expect(counterValue(await collect(), METRIC_NAMES.skippedRecoveries)).toBe(1);
  });

  it("never throws, whatever it is given and whatever the SDK does", async () => {
    const { inSpan, spans } = setup(15 * MIN);
    const broken = createOtelEventHandler({
      meter: {
        createCounter: () => ({
          add: () => {
            throw new Error("exporter bug");
          },
        }),
        createHistogram: () => ({ record: () => {} }),
      } as never,
    });
    await inSpan(() => {
      expect(() => broken(skipped())).not.toThrow();
      for (const junk of [null, undefined, 42, "skew.corrected", {}, { type: 1 }]) {
        expect(() => broken(junk as never)).not.toThrow();
      }
    });
    // The span event is recorded although the metrics side failed; the junk is not.
    expect(spans()[0]?.events.map((e) => e.name)).toEqual(["recovery.skipped"]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

function skipped(): SkewguardEvent {
  return {
    type: "recovery.skipped",
    time: "2026-11-23T10:00:00.000Z",
    provider: "s3",
    host: "127.0.0.1:9000",
    reason: "already-resent",
    why: "the resend failed the same way",
  };
}
