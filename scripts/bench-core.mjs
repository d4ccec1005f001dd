// Core benchmarks (part of `pnpm bench`): estimator accuracy on loopback with injected delay,
// memory of the offset store after 100,000 hosts, CPU per sampled response, and the time the
// worst hostile inputs take (the tests check that such inputs are cut at the cap and give a
// bounded answer; how long they take is measured here, not asserted). Uses the built package,
// so run after `pnpm build`.
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import {
  SkewRecovery,
  parseAzureAuthenticationDetail,
  readEvidence,
} from "../packages/diagnosis/dist/adapter.js";
import { OffsetStore } from "../packages/diagnosis/dist/index.js";

const { measureOffset } = await import("../packages/cli/dist/index.js");

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

/**
 * `skewguard skew -n 6` on loopback: the CLI's timed requests (each aimed at the server's
 * second ticking over) against the same server. The tests check the bound on a simulated
 * clock; this is what a real machine's timing gives.
 */
async function skewCommand(delayMs) {
  const server = await startClockServer(delayMs);
  try {
    const { estimate } = await measureOffset(
      new URL(server.url),
      { fetch, clock: { now: () => Date.now() }, sleep },
      { count: 6, timeoutMs: 5_000 },
    );
    return {
      delayMs,
      boundMs: (estimate.highMs - estimate.lowMs) / 2,
      errorMs: estimate.offsetMs - SERVER_OFFSET_MS,
    };
  } finally {
    await server.close();
  }
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

const HOSTILE_NOW = Date.parse("2026-11-23T10:00:00Z");
const S3_SKEWED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20261123T094000Z</RequestTime><ServerTime>2026-11-23T10:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
const S3_PADDED_10_MIB = S3_SKEWED.replace(
  "<Error>",
  `<Error><Padding>${"x".repeat(10 * 1024 * 1024)}</Padding>`,
);
const BACKTRACKING_DETAIL = "Start [Current [Expiry [Signed expiry time [".repeat(1500);
const BACKTRACKING_DETAIL_X10 = BACKTRACKING_DETAIL.repeat(10);
const azureBody = (detail) =>
  `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:00000000-0000-0000-0000-000000000000\nTime:2026-11-23T10:00:00.0000000Z</Message><AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail></Error>`;

/** Inputs built to be slow: huge, or shaped to make patterns backtrack. */
const HOSTILE_INPUTS = [
  {
    name: "S3 error body padded to 10 MiB (readEvidence)",
    run: () =>
      readEvidence({
        provider: "s3",
        host: "s3.local:443",
        sentAt: HOSTILE_NOW,
        receivedAt: HOSTILE_NOW + 25,
        status: 403,
        headers: {},
        body: S3_PADDED_10_MIB,
      }),
  },
  {
    name: "Azure detail built to backtrack, 66 KiB (parseAzureAuthenticationDetail)",
    run: () => parseAzureAuthenticationDetail(BACKTRACKING_DETAIL),
  },
  {
    name: "the same detail, 660 KiB",
    run: () => parseAzureAuthenticationDetail(BACKTRACKING_DETAIL_X10),
  },
  ...["s3", "gcs", "azure"].flatMap((provider) =>
    [
      ["64 KiB of '<'", "<".repeat(64 * 1024)],
      ["64 KiB of ']]>&amp;'", "]]>&amp;".repeat(8 * 1024)],
      ["a backtracking detail in an error body", azureBody(BACKTRACKING_DETAIL)],
      ["66 KiB of 'Start [Current [Expiry [Signed expiry time ['", BACKTRACKING_DETAIL],
      ["64 KiB of 'jwt request date header '", "jwt request date header ".repeat(2730)],
    ].map(([what, body]) => ({
      // The text as the body, and as the fields an SDK parsed from it (S3's Message, ...).
      name: `${provider}: ${what}`,
      run: async () => {
        const clock = { now: () => HOSTILE_NOW };
        const recovery = new SkewRecovery(provider, {
          clock,
          offsets: new OffsetStore({ clock }),
          onEvent: () => {},
        });
        const obs = {
          provider,
          host: "127.0.0.1:9000",
          operation: "PutObject",
          sentAt: HOSTILE_NOW,
          receivedAt: HOSTILE_NOW + 25,
          status: 403,
          headers: {
            date: "Mon, 23 Nov 2026 10:15:00 GMT",
            "x-ms-error-code": "AuthenticationFailed",
          },
          body,
          fields: { Code: "SignatureDoesNotMatch", Message: body, StringToSign: body },
          signed: { signedAtMs: HOSTILE_NOW, offsetMs: 0 },
        };
        // The whole engine, as an adapter drives it: the attempt and its resend both answered
        // with the hostile body, then the diagnosis of it.
        const error = new Error("refused");
        const answer = () => ({
          headers: obs.headers,
          body,
          error: { $metadata: {}, ...obs.fields },
        });
        await recovery
          .run({ host: obs.host, operation: obs.operation }, async () => ({
            error,
            status: 403,
            response: answer,
          }))
          .catch(() => {});
        recovery.diagnose(obs);
      },
    })),
  ),
];

/** Median and slowest of `runs` timings for each hostile input. */
async function hostileInputs(runs = 7) {
  const results = [];
  for (const { name, run } of HOSTILE_INPUTS) {
    await run(); // warm-up: the first call also pays for compilation
    const times = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await run();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    results.push({ name, medianMs: times[Math.floor(runs / 2)], worstMs: times[runs - 1] });
  }
  return results;
}

export async function runCoreBench() {
  const estimator = [];
  for (const delayMs of [0, 20, 200]) estimator.push(await accuracy(delayMs));
  const skew = [];
  for (const delayMs of [0, 20]) skew.push(await skewCommand(delayMs));
  return {
    estimator,
    skew,
    store: storeMemory(),
    cpu: await cpuPerSample(),
    hostile: await hostileInputs(),
  };
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
  print("\n`skewguard skew -n 6` on loopback (timed requests, the same server)");
  print("  delay   bound/error");
  for (const k of r.skew) {
    print(
      `  ${String(k.delayMs).padStart(3)} ms  ±${k.boundMs.toFixed(0)} ms / ${k.errorMs.toFixed(0)} ms`,
    );
  }
  print(
    `\nOffset store after ${r.store.hosts} hosts: ${r.store.kept} kept, heap +${r.store.heapDeltaKiB} KiB${r.store.gcExposed ? "" : " (run with --expose-gc for exact figures)"}`,
  );
  print(
    `CPU: ${r.cpu.successSampleUs.toFixed(2)} µs per sampled success, ${r.cpu.successSkippedUs.toFixed(2)} µs per success within 1 s of the last sample (not parsed), ${r.cpu.failedResponseUs.toFixed(1)} µs per failed response (parse + decide + diagnose)`,
  );
  print(
    "\nHostile inputs, each through the whole core as body and SDK fields (two attempts observed, then diagnosed) unless a function is named; the tests check the answers, this the time",
  );
  print(`  ${"input".padEnd(76)}${"median".padStart(11)}${"worst".padStart(11)}`);
  for (const h of r.hostile) {
    print(
      `  ${h.name.padEnd(76)}${`${h.medianMs.toFixed(2)} ms`.padStart(11)}${`${h.worstMs.toFixed(2)} ms`.padStart(11)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runCoreBench();
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printCoreBench(result, console.log);
}
