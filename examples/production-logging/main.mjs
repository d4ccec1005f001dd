// Production logging: skewguard's events as pino JSON lines and as OpenTelemetry span events
// and metrics, from one SkewRecovery per provider. `index.mjs` runs this; the test suite runs it
// with its own log stream and checks that no planted secret comes out.
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { OffsetStore } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { createOtelEventHandler } from "@skewguard/otel";
import pino from "pino";
import {
  ACCESS_KEY_ID,
  PLANTED_SECRETS,
  SENT_AUTHORIZATION,
  azureDateTooOld,
  azureSasExpired,
  fakeWorld,
  s3MismatchEchoingAuthorization,
  s3TooSkewed,
} from "./observations.mjs";

export { PLANTED_SECRETS, ACCESS_KEY_ID };

const MIN = 60_000;
const S3_HOST = "reports.s3.eu-west-1.amazonaws.com:443";
const STAGING_HOST = "staging-reports.s3.eu-west-1.amazonaws.com:443";
const AZURE_HOST = "reportsacct.blob.core.windows.net:443";

/**
 * The app's own log policy, applied by pino on top of skewguard's redactor: request
 * credentials never, and access key ids masked (skewguard keeps them, since a key from the
 * wrong environment is a common cause, but some policies forbid logging them).
 */
const PINO_REDACT = {
  paths: ["req.headers.authorization", "req.headers.cookie", "skewguard.diagnosis.evidence[*]"],
  censor: (value) => {
    if (value && typeof value === "object" && value.name === "accessKeyId") {
      return { ...value, value: `${String(value.value).slice(0, 4)}****` };
    }
    return typeof value === "string" ? "[app-redacted]" : value;
  },
};

/**
 * Runs the scenarios. `destination` receives pino's JSON lines; `print` the OpenTelemetry
 * summary and headings.
 */
export async function runProductionLogging({
  destination = process.stdout,
  print = (line) => process.stdout.write(`${line}\n`),
} = {}) {
  const logger = pino(
    { level: "debug", base: { service: "reports-api" }, redact: PINO_REDACT },
    destination,
  );
  const otel = startOpenTelemetry();
  try {
    // The same events go to both: pino through `logger`, OpenTelemetry through `onEvent`.
    const options = {
      logger: logger.child({ component: "skewguard" }),
      onEvent: createOtelEventHandler(),
    };
    const tracer = trace.getTracer("reports-api");
    print("== skewguard events as pino JSON lines (log destination) ==");
    await s3Scenarios(tracer, logger, options);
    await azureScenarios(tracer, options);
    print("\n== the same events in OpenTelemetry ==");
    await printTelemetry(otel, print);
  } finally {
    await otel.shutdown();
  }
}

/** S3, a clock 15 minutes behind: a PUT heals itself; a GET signed with the wrong key cannot. */
async function s3Scenarios(tracer, logger, options) {
  const world = fakeWorld(15 * MIN);
  const recovery = engine("s3", world, options);

  await tracer.startActiveSpan("PUT /reports/q4.csv", async (span) => {
    const send = world.attempts([{ status: 403, body: s3TooSkewed }, { status: 200 }]);
    await recovery.run({ host: S3_HOST, operation: "PutObject" }, send);
    span.end();
  });

  // Another bucket, so nothing is learned yet: the resend runs on the corrected clock and
  // fails the same way, which clears the clock and names the key.
  world.advance(5_000);
  await tracer.startActiveSpan("GET /staging/q3.csv", async (span) => {
    const send = world.attempts([
      { status: 403, body: s3TooSkewed },
      { status: 403, body: s3MismatchEchoingAuthorization },
    ]);
    await recovery.run({ host: STAGING_HOST, operation: "GetObject" }, send).catch(() => {});
    // The app's own error log: pino's redact paths keep the header it sent out.
    const req = {
      method: "GET",
      url: "/staging/q3.csv",
      headers: { authorization: SENT_AUTHORIZATION },
    };
    logger.error({ req }, "download failed");
    span.end();
  });
}

/** Azure, a clock 20 minutes behind: a streamed upload cannot be resent; an old SAS expired. */
async function azureScenarios(tracer, options) {
  const world = fakeWorld(20 * MIN);
  const recovery = engine("azure", world, options);
  const sasSignedAt = world.clock.now();
  world.advance(2_000);

  await tracer.startActiveSpan("upload stream", async (span) => {
    const send = world.attempts([
      {
        status: 403,
        headers: { "x-ms-request-id": "b0e5c2f4-601e-0070-1a2b-3c4d5e000000" },
        body: azureDateTooOld,
      },
    ]);
    const upload = { host: AZURE_HOST, operation: "BlockBlobUpload", replayable: false };
    await recovery.run(upload, send).catch(() => {});
    span.end();
  });

  await tracer.startActiveSpan("GET shared link", async (span) => {
    const send = world.attempts([
      {
        status: 403,
        // Made earlier on the uncorrected local clock (valid from -5 to +10 minutes), and cached.
        signed: { signedAtMs: sasSignedAt, expiresAtMs: sasSignedAt + 10 * MIN },
        body: (_signedAt, serverMs) => azureSasExpired(sasSignedAt, serverMs),
      },
    ]);
    const link = { host: AZURE_HOST, operation: "GetBlob", presigned: true };
    await recovery.run(link, send).catch(() => {});
    span.end();
  });
}

function engine(provider, world, options) {
  // Its own offset store, so the run does not depend on what else the process learned.
  const offsets = new OffsetStore({ clock: world.clock });
  return new SkewRecovery(provider, { ...options, clock: world.clock, offsets });
}

/** The OpenTelemetry SDK as an app would register it, with in-memory exporters to print. */
function startOpenTelemetry() {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    metricExporter,
    meterProvider,
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      // Leave the process as it was, so a test can run this again.
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}

/** What the printout shows of each span event; the rest is counted, not printed. */
const SHOWN = [
  "skewguard.provider",
  "skewguard.offset_ms",
  "skewguard.skew_ms",
  "skewguard.attempts",
  "skewguard.reason",
  "skewguard.cause",
  "skewguard.evidence.detail",
];

async function printTelemetry({ spans, metricExporter, meterProvider }, print) {
  for (const span of spans.getFinishedSpans()) {
    print(`span "${span.name}"`);
    for (const event of span.events) {
      const attributes = event.attributes ?? {};
      const shown = Object.entries(attributes).filter(([key]) => SHOWN.includes(key));
      const more = Object.keys(attributes).length - shown.length;
      print(`  event ${event.name} ${formatAttributes(shown, " ")} (+${more} more)`);
    }
  }
  await meterProvider.forceFlush();
  const last = metricExporter.getMetrics().at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) {
      const { name, unit } = metric.descriptor;
      for (const point of metric.dataPoints) {
        const value =
          typeof point.value === "number"
            ? point.value
            : `count=${point.value.count} sum=${Math.round(point.value.sum)}${unit}`;
        print(
          `metric ${name}{${formatAttributes(Object.entries(point.attributes), ",")}} ${value}`,
        );
      }
    }
  }
}

function formatAttributes(entries, separator) {
  const show = (value) => (typeof value === "number" ? Math.round(value) : value);
  return entries.map(([key, value]) => `${key}=${JSON.stringify(show(value))}`).join(separator);
}
