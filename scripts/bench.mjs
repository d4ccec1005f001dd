// `pnpm bench`: each SDK bare against the same SDK with skewguard, alternating, in one process,
// on the testkit's loopback servers (S3, the GCS fake, Azurite behind the skew proxy; for the
// happy path in a process of their own, as a user's server is, and again in this one), then the
// core figures (estimator accuracy, offset-store memory, CPU per sample). Plain JS on the built
// packages: run `pnpm build` first; this builds nothing. `--json` prints one JSON document.
//
// Environment: BENCH_ROUNDS (happy-path calls per side, default 5000: with 1000, two bare
// clients read anywhere from 0.994 to 1.011, too wide for a target of 1.01; with 5000,
// 0.995-1.005), BENCH_RECOVERY_RUNS (default 30), BENCH_ONLY=s3,gcs,azure,streams,core; the stream
// uploads' own settings are described in bench-streams.mjs.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { runAzureBench } from "./bench-azure.mjs";
import { printCoreBench, runCoreBench } from "./bench-core.mjs";
import { runGcsBench } from "./bench-gcs.mjs";
import { runS3Bench } from "./bench-s3.mjs";
import { HUGE_REFUSAL_RUNS } from "./bench-stats.mjs";
import { printStreamsBench, runStreamsBench } from "./bench-streams.mjs";

const json = process.argv.includes("--json");
const only = new Set((process.env.BENCH_ONLY ?? "s3,gcs,azure,streams,core").split(","));
const rounds = Number(process.env.BENCH_ROUNDS ?? 5000);
const recoveryRuns = Number(process.env.BENCH_RECOVERY_RUNS ?? 30);
const BURSTS = [50, 200, 1000];
const HAPPY_TARGET = 1.01;
const OVERHEAD_TARGET_MS = 0.5;

// The store-memory figure needs a real GC between measurements: expose it to this process.
if (typeof globalThis.gc !== "function") {
  setFlagsFromString("--expose-gc");
  globalThis.gc = runInNewContext("gc");
}
// The SDKs' Node-20 deprecation notices and socket-queue warnings are not results.
process.removeAllListeners("warning");
process.on("warning", () => {});

const print = json ? () => {} : (line = "") => console.log(line);
const started = Date.now();
const report = { node: process.version, date: new Date().toISOString(), providers: {} };

print(`skewguard bench  (node ${process.version}, ${new Date().toISOString()})`);
print("Bare SDK vs the same SDK with skewguard, alternating in one process, loopback servers.");

const runs = [
  ["s3", () => runS3Bench({ rounds, recoveryRuns, bursts: BURSTS })],
  ["gcs", () => runGcsBench({ rounds, recoveryRuns, bursts: BURSTS })],
  [
    "azure",
    () =>
      runAzureBench({
        rounds,
        recoveryRuns,
        bursts: BURSTS,
        burstTimeoutMs: 30_000,
      }),
  ],
];
for (const [name, run] of runs) {
  if (!only.has(name)) continue;
  if (!json) process.stderr.write(`running ${name}...\n`);
  report.providers[name] = await run();
}
const providers = Object.values(report.providers);

const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : "-");
const mark = (ok) => (ok ? "ok" : "MISSED");
const pad = (text, width) => String(text).padEnd(width);
const padL = (text, width) => String(text).padStart(width);

if (providers.length > 0) {
  print(
    "\nHappy path, clocks agreeing, the server in a process of its own: time per operation, medians; ratio = median of the blocks' ratios (wrapped / bare), spread = lowest and highest block; bare/bare = the same ratio between two bare clients (what the bench reads when there is nothing to measure)",
  );
  print(
    `  ${pad("provider", 9)}${pad("SDK", 29)}${pad("operation", 38)}${padL("rounds", 7)}${padL("bare", 11)}${padL("skewguard", 11)}${padL("ratio", 8)}${padL("spread", 15)}${padL("bare/bare", 11)}  target <= ${HAPPY_TARGET}`,
  );
  for (const p of providers) {
    const h = p.happy;
    const spread = `${h.ratio.low.toFixed(3)}-${h.ratio.high.toFixed(3)}`;
    const calibration = h.calibration ? h.calibration.median.toFixed(3) : "-";
    print(
      `  ${pad(p.provider, 9)}${pad(p.sdk, 29)}${pad(p.operation, 38)}${padL(h.rounds, 7)}${padL(ms(h.bare.medianMs), 11)}${padL(ms(h.ours.medianMs), 11)}${padL(h.ratio.median.toFixed(3), 8)}${padL(spread, 15)}${padL(calibration, 11)}  ${mark(h.ratio.median <= HAPPY_TARGET)}`,
    );
  }
  print(
    "  The client's own CPU time per call on its thread (trimmed mean), and the ratio when the server runs in the client's process (sharing its thread, heap and caches: part of what it reads is the server's)",
  );
  print(
    `  ${pad("provider", 9)}${padL("bare CPU", 11)}${padL("skewguard CPU", 15)}${padL("extra", 10)}${padL("one-process ratio", 19)}${padL("spread", 15)}`,
  );
  const us = (value) => `${value.toFixed(1)} µs`;
  for (const p of providers) {
    const h = p.happy;
    const one = h.sameProcess;
    print(
      `  ${pad(p.provider, 9)}${padL(us(h.bare.cpuUs), 11)}${padL(us(h.ours.cpuUs), 15)}${padL(us(h.ours.cpuUs - h.bare.cpuUs), 10)}${padL(one ? one.median.toFixed(3) : "-", 19)}${padL(one ? `${one.low.toFixed(3)}-${one.high.toFixed(3)}` : "-", 15)}`,
    );
  }

  print(
    `\nA recovered call over an unskewed one (server +20 min, nothing learned), medians of ${recoveryRuns}`,
  );
  print(
    `  ${pad("provider", 9)}${padL("unskewed", 10)}${padL("recovered", 11)}${padL("extra", 10)}${padL("1 round trip", 14)}${padL("skewguard's own", 17)}  target: 1 round trip + <= ${OVERHEAD_TARGET_MS} ms`,
  );
  for (const p of providers) {
    const r = p.recovery;
    print(
      `  ${pad(p.provider, 9)}${padL(ms(r.unskewedMs), 10)}${padL(ms(r.recoveredMs), 11)}${padL(ms(r.extraMs), 10)}${padL(ms(r.roundTripMs), 14)}${padL(ms(r.overheadMs), 17)}  ${mark(r.overheadMs <= OVERHEAD_TARGET_MS)}`,
    );
  }
  print(
    `  refusals with a 10 MiB error body, medians of ${HUGE_REFUSAL_RUNS}: ${providers.map((p) => `${p.provider} recovered ${ms(p.recovery.hugeRefusalRecoveredMs)} (bare SDK refused ${ms(p.recovery.hugeRefusalBareMs)})`).join(", ")}`,
  );
  const s3 = report.providers.s3;
  if (s3) {
    print(
      `  (the bare AWS SDK recovers a first call too, by a retry after a backoff: ${ms(s3.recovery.bareSdkFirstCallMs)} median)`,
    );
  }

  print("\nBursts of N concurrent calls from a fresh client, server +20 min");
  print(
    `  ${pad("provider", 9)}${padL("N", 5)}  | ${pad("bare SDK: attempts", 19)}${padL("failures", 9)}${padL("wall", 9)}  | ${pad("skewguard: attempts", 20)}${padL("per call", 9)}${padL("failures", 9)}${padL("wall", 9)}  target: 0 failures, <= 2 per call`,
  );
  const cell = (r, width) => padL(r.timedOut ? "timeout" : r.failures, width);
  for (const p of providers) {
    for (const b of p.bursts) {
      const perCall = b.ours.attempts / b.n;
      const ok = !b.ours.timedOut && b.ours.failures === 0 && perCall <= 2;
      print(
        `  ${pad(p.provider, 9)}${padL(b.n, 5)}  | ${padL(b.bare.attempts, 18)} ${cell(b.bare, 9)}${padL(`${b.bare.wallMs} ms`, 9)}  | ${padL(b.ours.attempts, 19)} ${padL(perCall.toFixed(2), 9)}${cell(b.ours, 9)}${padL(`${b.ours.wallMs} ms`, 9)}  ${mark(ok)}`,
      );
    }
  }
  // A failure the wrapped client should not have is named, so the figure can be acted on.
  for (const p of providers) {
    for (const b of p.bursts) {
      for (const [reason, count] of Object.entries(b.ours.reasons ?? {})) {
        print(`  ${p.provider} ${b.n}: skewguard failed ${count}x with ${reason}`);
      }
    }
  }
  for (const p of providers) for (const note of p.notes) print(`  ${p.provider}: ${note}`);
}

if (only.has("streams")) {
  if (!json) process.stderr.write("running streams...\n");
  report.streams = await runStreamsBench();
  printStreamsBench(report.streams, print);
}

if (only.has("core")) {
  if (!json) process.stderr.write("running core...\n");
  report.core = await runCoreBench();
  printCoreBench(report.core, print);
}

report.elapsedMs = Date.now() - started;
if (json) console.log(JSON.stringify(report, null, 2));
else print(`\n(${(report.elapsedMs / 1000).toFixed(1)} s)`);
