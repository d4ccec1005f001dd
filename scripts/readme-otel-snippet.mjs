// The @skewguard/otel README's block, as written, run from the fresh project that installed the
// packed packages (argv[2]) with the `@opentelemetry/api` it installed as the peer. The reader's
// `s3` is an S3Client on a testkit S3 server whose clock is 20 minutes ahead; the app's
// OpenTelemetry SDK is played by stand-in providers that record what an exporter would get (and
// an AsyncLocalStorage context manager, so the app's span is active during its call). After the
// README's code, `stop()` ends the process-wide subscription (the README: not both), and one
// PutObject inside an app span is refused for its date and resent. Prints one line; throws if
// what a backend would receive is wrong or carries a secret.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const server = await startS3TestServer({ clockOffsetMs: 20 * 60_000 });
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];

const userCode = readmeProgram("readme-otel-snippet.mjs", {
  prelude: `
import { AsyncLocalStorage as $Storage } from "node:async_hooks";
import { S3Client as $S3Client } from "@aws-sdk/client-s3";
import { ROOT_CONTEXT as $ROOT, context as $context, metrics as $metrics, trace as $trace } from "@opentelemetry/api";

// Stand-ins for the app's OpenTelemetry SDK: providers that record what an exporter would get.
const $recorded = { measurements: [], spans: [] };
const $instrument = (name) => ({
  add: (value, attributes) => $recorded.measurements.push({ name, value, attributes }),
  record: (value, attributes) => $recorded.measurements.push({ name, value, attributes }),
});
$metrics.setGlobalMeterProvider({
  getMeter: () => ({ createCounter: $instrument, createHistogram: $instrument }),
});
const $als = new $Storage();
$context.setGlobalContextManager({
  active: () => $als.getStore() ?? $ROOT,
  with: (ctx, fn, thisArg, ...args) => $als.run(ctx, () => fn.call(thisArg, ...args)),
  bind: (_ctx, target) => target,
  enable() { return this; },
  disable() { return this; },
});
$trace.setGlobalTracerProvider({
  getTracer: () => ({
    startSpan(name) {
      const span = { name, events: [], ended: false };
      $recorded.spans.push(span);
      return {
        isRecording: () => true,
        addEvent: (eventName, attributes) => span.events.push({ name: eventName, attributes }),
        setAttribute() { return this; },
        end: () => { span.ended = true; },
        spanContext: () => ({ traceId: "1".repeat(32), spanId: "1".repeat(16), traceFlags: 1 }),
      };
    },
    startActiveSpan(name, fn) {
      const span = this.startSpan(name);
      return $context.with($trace.setSpan($context.active(), span), fn, undefined, span);
    },
  }),
});

// The reader's client.
const s3 = new $S3Client({
  region: "us-east-1",
  endpoint: process.env.S3_URL,
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_KEY_ID, secretAccessKey: process.env.S3_SECRET },
});
`,
  epilogue: `
stop();
const { PutObjectCommand: $Put } = await import("@aws-sdk/client-s3");
await $trace.getTracer("app").startActiveSpan("upload", async (span) => {
  await s3.send(new $Put({ Bucket: "b", Key: "k", Body: "hello" }));
  span.end();
});
console.log(JSON.stringify({ ...$recorded, events: $run.events }));
`,
});

const out = await runUserCode(project, "readme-otel.mjs", userCode, {
  S3_URL: server.url,
  S3_KEY_ID: accessKeyId,
  S3_SECRET: secretAccessKey,
}).finally(() => server.close());
const named = (name) => out.measurements.filter((m) => m.name === name);
const corrections = named("skewguard.corrections");
const offsets = named("skewguard.clock.offset");
const recoveries = named("skewguard.recoveries");
const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
const span = out.spans[0];
const spanEvents = span?.events.map((e) => e.name) ?? [];
const recorded = JSON.stringify({ measurements: out.measurements, spans: out.spans });
expectAll("otel snippet", {
  [`PutObject refused once and resent (got ${requests})`]: requests === "PUT 403, PUT 200",
  "skewguard.corrections +1 for the offset and +1 for the resend":
    corrections.some((m) => m.attributes["skewguard.correction"] === "offset") &&
    corrections.filter((m) => m.attributes["skewguard.correction"] === "resend").length === 1 &&
    corrections.every((m) => m.value === 1 && m.attributes["skewguard.provider"] === "s3"),
  "skewguard.recoveries +1": recoveries.length === 1 && recoveries[0].value === 1,
  [`skewguard.clock.offset about 20 minutes, local clock behind (got ${offsets.map((m) => m.value)})`]:
    offsets.length > 0 &&
    offsets.every(
      (m) =>
        Math.abs(m.value - 20 * 60_000) < 5_000 &&
        m.attributes["skewguard.local_clock"] === "behind",
    ),
  [`the events are span events on the app's active span, which alone was started (got ${out.spans.map((s) => s.name)}: ${spanEvents})`]:
    out.spans.length === 1 &&
    span.name === "upload" &&
    span.ended &&
    ["skew.corrected", "request.resigned", "request.recovered"].every((e) =>
      spanEvents.includes(e),
    ),
  "after stop(), only the handler records (one recovery, not two)": recoveries.length === 1,
  "no secret key or signature reaches an attribute":
    !recorded.includes(secretAccessKey) && !/Signature=/.test(recorded),
});
console.log(
  `${server.attempts} requests at the server (${requests}); recorded ${corrections.length} skewguard.corrections, ${recoveries.length} skewguard.recoveries, ${offsets.length} skewguard.clock.offset (${Math.round(offsets[0].value / 1000)} s, ${offsets[0].attributes["skewguard.local_clock"]}), span "${span.name}" with events ${spanEvents.join(",")}; no secret`,
);
