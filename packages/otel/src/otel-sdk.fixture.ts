/**
 * Test plumbing: the OpenTelemetry SDK wired to in-memory exporters, and skewguard engines on
 * fake clocks fed real-shaped error responses. Not part of the package.
 */
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { OffsetStore, type Provider, type SkewguardEvent } from "@skewguard/diagnosis";
import {
  type AttemptPlan,
  type AttemptReport,
  type RecoveryRequest,
  SkewRecovery,
} from "@skewguard/diagnosis/adapter";

/** A reader that exports nothing by itself: tests pull with `collect()`. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface MetricsHarness {
  provider: MeterProvider;
  /** Every metric collected now, by instrument name. */
  collect(): Promise<Map<string, MetricData>>;
}

export function createMetricsHarness(): MetricsHarness {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
  };
}

/** The sum of a counter's points whose attributes include `match`. */
export function counterValue(
  collected: Map<string, MetricData>,
  name: string,
  match: Record<string, string> = {},
): number {
  const metric = collected.get(name);
  if (!metric) return 0;
  return (metric.dataPoints as DataPoint<number>[])
    .filter((point) => matches(point.attributes, match))
    .reduce((sum, point) => sum + point.value, 0);
}

/** A histogram's points whose attributes include `match`. */
export function histogramPoints(
  collected: Map<string, MetricData>,
  name: string,
  match: Record<string, string> = {},
): DataPoint<Histogram>[] {
  const metric = collected.get(name);
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<Histogram>[]).filter((point) =>
    matches(point.attributes, match),
  );
}

function matches(attributes: Record<string, unknown>, match: Record<string, string>): boolean {
  return Object.entries(match).every(([key, value]) => attributes[key] === value);
}

export interface TracingHarness {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
}

/** Tracing with a real context manager, so `trace.getActiveSpan()` sees `startActiveSpan`. */
export function createTracingHarness(): TracingHarness {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { provider, exporter, spans: () => exporter.getFinishedSpans() };
}

/** Undoes every global registration a test made. */
export function resetOtelGlobals(): void {
  trace.disable();
  metrics.disable();
  context.disable();
}

const MIN = 60_000;
export const SERVER_NOW = Date.parse("2026-11-23T10:00:00Z");

/** An S3 SigV4 signature, as it would appear in an echoed Authorization header. */
export const PLANTED_SIGNATURE = "3f9a6c1e8b2d47f0a5c6e9b8d7f1a2c3b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9";
/** A SAS `sig`, base64 and URL-encoded as Azure puts it in a query. */
export const PLANTED_SAS_SIG = "Kq7Zr2Lm9Xw4Tn8Vb3Hc6Jd1Fg5Sp0Ya2Ue7Wi4Oo9Q%3D";

const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");
const httpDate = (ms: number) => new Date(ms).toUTCString();

/** One attempt's answer: a status and a body whose `{REQUEST}`/`{SERVER}` become the times. */
export interface Answer {
  status: number;
  body: string;
}

/**
 * A SkewRecovery on a fake clock `offsetMs` behind its server (negative: ahead), with its own
 * offset store, collecting its events, and `run`, which sends one request through the engine
 * with each attempt answered by the next of `answers` (real-shaped failed responses).
 */
export function skewedEngine(
  provider: Provider,
  offsetMs: number,
  onEvent?: (event: SkewguardEvent) => void,
) {
  let local = SERVER_NOW - offsetMs;
  const clock = { now: () => local };
  const recovery = new SkewRecovery(provider, {
    clock,
    offsets: new OffsetStore({ clock }),
    ...(onEvent ? { onEvent } : {}),
  });
  const host = provider === "azure" ? "127.0.0.1:10000" : "127.0.0.1:9000";
  const operation = provider === "azure" ? "BlockBlobUpload" : "PutObject";
  const run = async (
    answers: readonly Answer[],
    request: Partial<RecoveryRequest> = {},
  ): Promise<unknown> => {
    let next = 0;
    const send = async (plan: AttemptPlan): Promise<AttemptReport<string>> => {
      const answer = answers[Math.min(next++, answers.length - 1)] as Answer;
      const signedAt = local + plan.offsetMs;
      local += 20;
      const serverMs = local + offsetMs - 10;
      const headers = { date: httpDate(serverMs), "x-amz-request-id": "4442587FB7D0A2F9" };
      const body = answer.body
        .replaceAll("{REQUEST}", iso(signedAt))
        .replaceAll("{SERVER}", iso(serverMs));
      const response = () => ({ headers, body });
      if (answer.status < 400) return { value: "ok", status: answer.status, response };
      return { error: new Error(`status ${answer.status}`), status: answer.status, response };
    };
    return recovery.run({ host, operation, ...request }, send).catch((error: unknown) => error);
  };
  return { recovery, host, run };
}

/** S3's answer to a request signed too far from its clock. */
export const S3_SKEWED =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>{REQUEST}</RequestTime><ServerTime>{SERVER}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId></Error>';

/** A gateway's SignatureDoesNotMatch that echoes the request's Authorization header. */
export const S3_MISMATCH_ECHOING_AUTHORIZATION = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261123/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${PLANTED_SIGNATURE}</Message><RequestId>9D1C4C2E8B7A6F50</RequestId></Error>`;

/** Azure refusing a SAS outside its validity window, with the request URL and its `sig` in the detail. */
export const AZURE_SAS_NOT_YET_VALID = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:b0e5c2f4-601e-0070-1a2b-3c4d5e000000
Time:{SERVER}</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame: Start [Mon, 23 Nov 2026 10:05:00 GMT] - Expiry [Mon, 23 Nov 2026 11:05:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT] on /reports/q4.csv?sp=r&amp;sr=b&amp;sig=${PLANTED_SAS_SIG}</AuthenticationErrorDetail></Error>`;

export { MIN };
