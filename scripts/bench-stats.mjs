// Shared pieces of `pnpm bench`: statistics, the alternating runner, the recovered-call and
// burst measurements every provider uses, and the check that the packages are built.
import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

export const MINUTE = 60_000;
export const SKEW_MS = 20 * MINUTE;
export const root = new URL("../", import.meta.url);

/** The built entry of a workspace package (the bench measures what users install). */
export function dist(name) {
  const url = new URL(`packages/${name}/dist/index.js`, root);
  if (!existsSync(url)) {
    throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` first`);
  }
  return url;
}

/** An SDK as a package resolves it (a devDependency there; the root has none), and its version. */
export function sdkOf(packageName, sdk) {
  const require = createRequire(new URL(`packages/${packageName}/package.json`, root));
  // Not every SDK exports its package.json: read it beside the resolved entry point.
  const entry = require.resolve(sdk);
  const dir = entry.slice(
    0,
    entry.lastIndexOf(`node_modules/${sdk}/`) + `node_modules/${sdk}/`.length,
  );
  const { version } = JSON.parse(readFileSync(`${dir}package.json`, "utf8"));
  return { module: require(sdk), version };
}

export const median = (values) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const p90 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)];
/** Mean of the middle 90%: one GC pause must not decide the figure. */
export const trimmedMean = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.05);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
};
export const round = (value, digits = 3) => Number(value.toFixed(digits));

/**
 * A testkit server in a child process (bench-server.mjs): `kind` is s3, gcs or azure. Resolves
 * with what a client needs to connect and `close()`; the child also stops when this process
 * goes away. The happy path is timed against it, so that the figure is the client's alone.
 */
export function serverProcess(kind, { startTimeoutMs = 120_000 } = {}) {
  const child = fork(new URL("bench-server.mjs", import.meta.url), [kind], {
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const close = async () => {
    if (child.connected) child.send("close");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`bench: the ${kind} server process ${why}`));
    };
    const failed = (error) => fail(`failed: ${error.message}`);
    const ended = (code) => fail(`exited with ${code} before it was ready`);
    const timer = setTimeout(
      () => fail(`did not start within ${startTimeoutMs} ms`),
      startTimeoutMs,
    );
    child.once("error", failed);
    child.once("exit", ended);
    child.once("message", (message) => {
      clearTimeout(timer);
      child.off("error", failed);
      child.off("exit", ended);
      resolve({ ...message.connection, close });
    });
  });
}

/** Runs `fn` with a server process of `kind` (see `serverProcess`), which it then stops. */
export async function withServerProcess(kind, fn) {
  const server = await serverProcess(kind);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** Time of one call in ms. */
export async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Happy path: `rounds` calls through each client, alternating, the order flipped every call so
 * that neither side always runs on a warmer process; `warmup` untimed rounds first. The calls
 * are grouped into `blocks` consecutive rounds; each block gives one ratio (median wrapped over
 * median bare), and the figure is the median of those ratios, with their spread (lowest and
 * highest block): a ratio whose spread straddles 1 is noise, not a cost. Each call's CPU time
 * on this thread is taken too: the client's own work, which time spent waiting does not move.
 *
 * With `twin` (a second bare client), a second pass of the same shape times bare against
 * twin: the calibration, what the bench reads when there is nothing to measure. It runs on its
 * own, so that the figure itself is timed with two clients alternating, as before.
 */
export async function alternate({ rounds, warmup, bare, ours, twin, blocks = 10 }) {
  const measured = await pairs({ rounds, warmup, first: bare, second: ours, blocks });
  const calibration = twin
    ? await pairs({ rounds, warmup, first: bare, second: twin, blocks })
    : undefined;
  const stats = (t) => ({
    medianMs: round(median(t)),
    meanMs: round(trimmedMean(t)),
    p90Ms: round(p90(t)),
  });
  return {
    rounds,
    bare: { ...stats(measured.first), cpuUs: round(trimmedMean(measured.firstCpu), 1) },
    ours: { ...stats(measured.second), cpuUs: round(trimmedMean(measured.secondCpu), 1) },
    ratio: ratioOf(measured.second, measured.first, rounds, blocks),
    ...(calibration
      ? { calibration: ratioOf(calibration.second, calibration.first, rounds, blocks) }
      : {}),
  };
}

/**
 * `rounds` calls of each, alternating, the order flipped every call; `warmup` untimed first.
 * Each call's time, and its CPU time on this thread.
 */
async function pairs({ rounds, warmup, first, second }) {
  for (let i = 0; i < warmup; i++) {
    await first();
    await second();
  }
  const times = { first: [], second: [], firstCpu: [], secondCpu: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ["first", "second"] : ["second", "first"];
    for (const which of order) {
      const cpu = threadCpu();
      times[which].push(await timed(which === "first" ? first : second));
      times[`${which}Cpu`].push(threadCpu(cpu));
    }
  }
  return times;
}

/**
 * CPU time of this thread in µs (`since`: the time passed since that reading). Node 20 has no
 * per-thread figure: the process's, which adds the few libuv threads' work.
 */
function threadCpu(since) {
  const usage = process.threadCpuUsage?.() ?? process.cpuUsage();
  const total = usage.user + usage.system;
  return since === undefined ? total : total - since;
}

/** The blocks' ratios of `times` over `base`: their median and spread, and overall figures. */
function ratioOf(times, base, rounds, blocks) {
  const size = Math.max(1, Math.floor(rounds / blocks));
  const blockRatios = [];
  for (let start = 0; start + size <= rounds; start += size) {
    const end = start + size;
    blockRatios.push(median(times.slice(start, end)) / median(base.slice(start, end)));
  }
  return {
    median: round(median(blockRatios)),
    low: round(Math.min(...blockRatios)),
    high: round(Math.max(...blockRatios)),
    blocks: blockRatios.length,
    overall: round(median(times) / median(base)),
    mean: round(trimmedMean(times) / trimmedMean(base)),
  };
}

/**
 * The extra latency of a recovered call over an unskewed one, alternating. `unskewed()` and
 * `recovered()` time one call each; `refused()` times one request the skewed server refuses
 * (the bare SDK with one attempt): the round trip a recovery cannot avoid. What is left over
 * is skewguard's own cost.
 */
export async function recoveredExtra({ runs, unskewed, recovered, refused }) {
  const plain = [];
  const healed = [];
  const refusals = [];
  for (let i = 0; i < runs; i++) {
    plain.push(await unskewed());
    healed.push(await recovered());
    refusals.push(await refused());
  }
  const extraMs = median(healed) - median(plain);
  const roundTripMs = median(refusals);
  return {
    runs,
    unskewedMs: round(median(plain)),
    recoveredMs: round(median(healed)),
    extraMs: round(extraMs),
    roundTripMs: round(roundTripMs),
    overheadMs: round(extraMs - roundTripMs),
  };
}

/** Median of `runs` measurements, each taken by `once()` (which returns milliseconds). */
export async function medianOf(runs, once) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return round(median(times));
}

/** How many recovered calls through a 10 MiB refusal each provider times (they are slow to build). */
export const HUGE_REFUSAL_RUNS = 5;

/** Time of a call expected to fail; a success is a broken measurement. */
export async function timedFailure(fn) {
  const started = performance.now();
  const failed = await fn().then(
    () => false,
    () => true,
  );
  if (!failed) throw new Error("bench: a call meant to be refused succeeded");
  return performance.now() - started;
}

/** N concurrent calls; `attempts()` reads the server's counter. */
export async function burst({ n, call, attempts, timeoutMs = 60_000 }) {
  const before = attempts();
  const started = performance.now();
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const all = Promise.allSettled(Array.from({ length: n }, () => call()));
  const results = await Promise.race([all, deadline]);
  clearTimeout(timer);
  const wallMs = round(performance.now() - started, 0);
  if (results === "timeout") return { n, timedOut: true, attempts: attempts() - before, wallMs };
  const rejected = results.filter((r) => r.status === "rejected");
  return {
    n,
    attempts: attempts() - before,
    failures: rejected.length,
    reasons: tally(rejected.map((r) => reasonOf(r.reason))),
    wallMs,
  };
}

/** A failure's kind, short enough to tally: its code or status and the start of its message. */
function reasonOf(error) {
  const code = error?.code ?? error?.name ?? "Error";
  const status = error?.$metadata?.httpStatusCode ?? error?.statusCode ?? error?.status;
  const message = String(error?.message ?? error)
    .split("\n")[0]
    .slice(0, 80);
  return `${code}${status ? ` ${status}` : ""}: ${message}`;
}

/** `{reason: count}`, most frequent first. */
function tally(reasons) {
  const counts = new Map();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
