// The @skewguard/otel README's `createOtelEventHandler()`, run from the fresh project (argv[2])
// with the `@opentelemetry/api` the project installed as the peer: one `skew.corrected` event,
// as the S3 plugin emits it after learning a server 20 minutes ahead, goes through the handler
// into the global MeterProvider and a tracer. Prints one line; throws if what an OpenTelemetry
// backend would receive is wrong or carries a secret.
import { expectAll, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
/** A SAS `sig` planted in the event's evidence: it must never reach the backend. */
const PLANTED_SIG = "Kq7Zr2Lm9Xw4Tn8Vb3Hc6Jd1Fg5Sp0Ya2Ue7Wi4Oo9Q%3D";

const userCode = `
import { metrics, trace } from "@opentelemetry/api";
import { createOtelEventHandler } from "@skewguard/otel";

// Stand-ins for the app's OpenTelemetry SDK: providers that record what an exporter would get.
const recorded = { measurements: [], spans: [] };
const instrument = (name) => ({
  add: (value, attributes) => recorded.measurements.push({ name, value, attributes }),
  record: (value, attributes) => recorded.measurements.push({ name, value, attributes }),
});
metrics.setGlobalMeterProvider({
  getMeter: () => ({ createCounter: instrument, createHistogram: instrument }),
});
trace.setGlobalTracerProvider({
  getTracer: () => ({
    startSpan(name) {
      const span = { name, events: [], ended: false };
      recorded.spans.push(span);
      return {
        isRecording: () => true,
        addEvent: (eventName, attributes) => span.events.push({ name: eventName, attributes }),
        end: () => { span.ended = true; },
        spanContext: () => ({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 1 }),
      };
    },
  }),
});

// What the README shows, with a tracer so an event outside any span gets a span of its own.
const onEvent = createOtelEventHandler({ tracer: trace.getTracer("app") });
onEvent(JSON.parse(process.env.SKEWGUARD_EVENT));
console.log(JSON.stringify(recorded));
`;

const event = {
  type: "skew.corrected",
  time: new Date().toISOString(),
  provider: "s3",
  host: "127.0.0.1:9000",
  operation: "PutObject",
  requestId: "4442587FB7D0A2F9",
  offsetMs: 1_200_250,
  offsetBoundsMs: [1_200_000, 1_200_500],
  previousOffsetMs: 0,
  evidence: [
    { name: "serverTime", value: "2026-11-23T10:20:00Z" },
    { name: "url", value: `https://acct.blob.core.windows.net/c/b?sp=r&sig=${PLANTED_SIG}` },
  ],
};
const out = await runUserCode(project, "readme-otel.mjs", userCode, {
  SKEWGUARD_EVENT: JSON.stringify(event),
});
const corrections = out.measurements.filter((m) => m.name === "skewguard.corrections");
const offsets = out.measurements.filter((m) => m.name === "skewguard.clock.offset");
const span = out.spans[0];
const spanEvent = span?.events[0];
expectAll("otel snippet", {
  "one skewguard.corrections +1 with correction=offset":
    corrections.length === 1 &&
    corrections[0].value === 1 &&
    corrections[0].attributes["skewguard.correction"] === "offset" &&
    corrections[0].attributes["skewguard.provider"] === "s3",
  "one skewguard.clock.offset of 1200250 ms, local clock behind":
    offsets.length === 1 &&
    offsets[0].value === 1_200_250 &&
    offsets[0].attributes["skewguard.local_clock"] === "behind",
  "one ended span 'skewguard skew.corrected'":
    out.spans.length === 1 && span.name === "skewguard skew.corrected" && span.ended,
  "its span event carries the offset and the evidence":
    spanEvent?.name === "skew.corrected" &&
    spanEvent.attributes["skewguard.offset_ms"] === 1_200_250 &&
    spanEvent.attributes["skewguard.evidence.server_time"] === "2026-11-23T10:20:00Z",
  "the planted SAS sig reaches no attribute": !JSON.stringify(out).includes(PLANTED_SIG),
});
console.log(
  `1 event in: ${corrections.length} skewguard.corrections (+${corrections[0].value}, offset), ${offsets.length} skewguard.clock.offset (${offsets[0].value} ms, ${offsets[0].attributes["skewguard.local_clock"]}), ${out.spans.length} span "${span.name}" with ${span.events.length} event and ${Object.keys(spanEvent.attributes).length} attributes, SAS sig redacted`,
);
