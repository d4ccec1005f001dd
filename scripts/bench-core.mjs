// Core benchmarks (part of `pnpm bench`): estimator accuracy on loopback with injected delay,
// memory of the offset store after 100,000 hosts, CPU per sampled response. Uses the built
// package, so run after `pnpm build`.
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { SkewRecovery } from "../packages/diagnosis/dist/adapter.js";
import { OffsetStore } from "../packages/diagnosis/dist/index.js";

const SERVER_OFFSET_MS = 7 * 60_000 + 12_345;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback server whose clock is SERVER_OFFSET_MS ahead, answering after `delayMs`. */
async function startClockServer(delayMs) {
  const server = createServer((_req, res) => {
    // The server reads its clock when the request arrives, then the reply is delayed.
    const date = new Date(Date.now() + SERVER_OFFSET_MS).toUTCString();
    setTimeout(() => {
      res.writeHead(200, { date, "content-length": "0" });
      res.end();
    }, delayMs);
  });
  server.keepAliveTimeout = 1;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Ten sequential samples; returns the bound (±ms) and error after 1 and 10, and the naive error. */
async function accuracy(delayMs) {
  const server = await startClockServer(delayMs);
  const store = new OffsetStore();
  // Every response read: this measures the estimator, not the default 1 s success throttle.
  const recovery = new SkewRecovery("s3", { offsets: store, successSampleIntervalMs: 0 });
  const host = new URL(server.url).host;
  const rows = [];
  let naiveErrorMs;
  try {
    for (let i = 1; i <= 10; i++) {
      const sentAt = Date.now();
      const res = await fetch(server.url);
      const receivedAt = Date.now();
      await res.arrayBuffer();
      const date = res.headers.get("date");
      if (i === 1) naiveErrorMs = Date.parse(date) - receivedAt - SERVER_OFFSET_MS;
      const e = recovery.sample({
        provider: "s3",
        host,
        sentAt,
        receivedAt,
        status: 200,
        headers: { date },
      });
      if (i === 1 || i === 10)
        rows.push({
          samples: i,
          boundMs: (e.highMs - e.lowMs) / 2,
          errorMs: e.offsetMs - SERVER_OFFSET_MS,
        });
      await sleep(113 + ((i * 379) % 500)); // land on different phases of the server's second
    }
  } finally {
    await server.close();
  }
  return { delayMs, naiveErrorMs, after1: rows[0], after10: rows[1] };
}

function storeMemory() {
  const sample = (i) => ({
    sentAt: 1_800_000_000_000 + i,
    receivedAt: 1_800_000_000_010 + i,
    evidence: [
      {
        source: "date-header",
        serverTimeMs: 1_800_000_060_000 + i,
        resolutionMs: 1000,
        fromBody: false,
      },
    ],
  });
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = new OffsetStore({ clock: { now: () => 1_800_000_000_000 } });
  for (let i = 0; i < 100_000; i++) store.observe(`bucket-${i}.s3.amazonaws.com:443`, sample(i));
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  return {
    hosts: 100_000,
    kept: store.size,
    heapDeltaKiB: Math.round((after - before) / 1024),
    gcExposed: Boolean(globalThis.gc),
  };
}

async function cpuPerSample() {
  const store = new OffsetStore();
  // Every success parsed, to measure a sample; the default skips successes within 1 s.
  const recovery = new SkewRecovery("s3", { offsets: store, successSampleIntervalMs: 0 });
  const throttled = new SkewRecovery("s3", { offsets: new OffsetStore() });
  const n = 100_000;
  const base = Date.now();
  const date = new Date(base + SERVER_OFFSET_MS).toUTCString();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    recovery.sample({
      provider: "s3",
      host: "s3.local:443",
      sentAt: base,
      receivedAt: base + 5,
      status: 200,
      headers: { date },
    });
  }
  const sampleUs = ((performance.now() - started) * 1000) / n;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    throttled.sample({
      provider: "s3",
      host: "s3.local:443",
      sentAt: base,
      receivedAt: base + 5,
      status: 200,
      headers: { date },
    });
  }
  const skippedUs = ((performance.now() - t0) * 1000) / n;
  const body = `<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20261123T094500Z</RequestTime><ServerTime>${new Date(base + SERVER_OFFSET_MS).toISOString()}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>`;
  const m = 10_000;
  // One failed attempt through the engine: it is refused a resend (a single attempt), so the
  // figure is one response's parse, decision and diagnosis.
  const refused = new Error("RequestTimeTooSkewed");
  const send = async () => ({
    error: refused,
    status: 403,
    response: () => ({ headers: { date }, body }),
  });
  const t = performance.now();
  for (let i = 0; i < m; i++) {
    await recovery.run({ host: `h${i % 10}:443`, resendAllowed: false }, send).catch(() => {});
  }
  const failureUs = ((performance.now() - t) * 1000) / m;
  return { successSampleUs: sampleUs, successSkippedUs: skippedUs, failedResponseUs: failureUs };
}

export async function runCoreBench() {
  const estimator = [];
  for (const delayMs of [0, 20, 200]) estimator.push(await accuracy(delayMs));
  return { estimator, store: storeMemory(), cpu: await cpuPerSample() };
}

export function printCoreBench(r, print) {
  print("\nEstimator on loopback (server +7m 12.345s, Date header in whole seconds)");
  print("  delay   naive Date-now error   bound/error after 1      bound/error after 10");
  for (const e of r.estimator) {
    const f = (x) => `±${x.boundMs.toFixed(0)} ms / ${x.errorMs.toFixed(0)} ms`.padEnd(24);
    print(
      `  ${String(e.delayMs).padStart(3)} ms  ${`${e.naiveErrorMs.toFixed(0)} ms`.padEnd(21)}  ${f(e.after1)} ${f(e.after10)}`,
    );
  }
  print(
    `\nOffset store after ${r.store.hosts} hosts: ${r.store.kept} kept, heap +${r.store.heapDeltaKiB} KiB${r.store.gcExposed ? "" : " (run with --expose-gc for exact figures)"}`,
  );
  print(
    `CPU: ${r.cpu.successSampleUs.toFixed(2)} µs per sampled success, ${r.cpu.successSkippedUs.toFixed(2)} µs per success within 1 s of the last sample (not parsed), ${r.cpu.failedResponseUs.toFixed(1)} µs per failed response (parse + decide + diagnose)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runCoreBench();
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printCoreBench(result, console.log);
}
