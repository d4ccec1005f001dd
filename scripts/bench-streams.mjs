// The streams part of `pnpm bench`: stream uploads through the bare SDKs and the same SDKs with
// skewguard, on the testkit servers (S3; Azurite behind the skew proxy). Printed, never asserted
// (the house rule: performance is measured, not asserted in timed tests).
//
// - first byte: how long after the call the server sees the first body byte of a slow stream
//   (20 chunks of 16 KiB, one every 100 ms), through a byte-watching TCP relay in front of it;
// - abort settle: how long after `abort()` the call settles, for a slow stream and for one that
//   stalls after 1 KiB (a call still pending after STALL_LIMIT_MS is reported as "never");
// - memory: N concurrent uploads of an 8 MiB stream, each side in a child process of its own
//   (peak RSS is per process: the kernel's VmHWM, or sampled every 5 ms where there is none;
//   never `resourceUsage().maxRSS`, which on Linux carries the parent's peak into a child),
//   alternating sides, each run against an empty server; the median of BENCH_STREAM_RUNS runs
//   per side. "shared" streams hand out slices of one buffer the caller holds (the copy
//   skewguard keeps is then references to it); "fresh" streams allocate every chunk (the copy
//   holds chunks the bare SDK would already have let go: at most replayBufferBytes per upload in
//   flight, until its response). The wall time is mostly the loopback server's (one process
//   verifying and storing 320 MiB), so its ratio is a coarse figure.
//
// Run alone: `node scripts/bench-streams.mjs` (after `pnpm build`); `--json` for JSON.
// Environment: BENCH_STREAM_UPLOADS (default 40), BENCH_STREAM_MIB (8), BENCH_STREAM_RUNS (3),
// BENCH_STREAM_SCENARIOS (shared,fresh), BENCH_STREAM_PROVIDERS (s3,azure),
// BENCH_STREAM_TIMELINES=0 to measure memory only.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { firstByteRelay } from "../test/streams/body-relay.mjs";
import { dist, median, round, sdkOf } from "./bench-stats.mjs";

const KIB = 1024;
const MIB = 1024 * KIB;
const SLOW = { chunks: 20, chunkBytes: 16 * KIB, intervalMs: 100 };
const ABORT_AFTER_MS = 300;
const STALL_LIMIT_MS = 15_000;
const S3_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const progress = (line) => process.stderr.write(line);
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A stream of `chunks` x `chunkBytes`, one chunk every `intervalMs` (the first after one interval). */
export function slowStream({ chunks, chunkBytes, intervalMs }) {
  let sent = 0;
  let timer;
  return new Readable({
    read() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        sent++;
        this.push(Buffer.alloc(chunkBytes, sent));
        if (sent === chunks) this.push(null);
      }, intervalMs);
    },
    destroy(error, callback) {
      clearTimeout(timer);
      callback(error);
    },
  });
}

/** A stream that gives `firstBytes` and then nothing, ever (until destroyed). */
export function stalledStream(firstBytes) {
  let gave = false;
  return new Readable({
    read() {
      if (gave) return;
      gave = true;
      this.push(Buffer.alloc(firstBytes, 1));
    },
  });
}

/** Uploaders: `put(stream, length, signal)` for one side of one provider at `endpoint`. */
async function s3Uploader(endpoint, wrapped, options = {}) {
  const { S3Client, PutObjectCommand } = sdkOf("aws-s3", "@aws-sdk/client-s3").module;
  const { OffsetStore } = await import(dist("diagnosis"));
  const { getSkewRecoveryPlugin } = await import(dist("aws-s3"));
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: S3_SECRET },
    logger: quietLogger,
  });
  if (wrapped) {
    s3.middlewareStack.use(
      getSkewRecoveryPlugin(s3.config, { offsets: new OffsetStore(), ...options }),
    );
  }
  let n = 0;
  return {
    put: (body, length, signal) =>
      s3.send(
        new PutObjectCommand({ Bucket: "b", Key: `k${n++}`, Body: body, ContentLength: length }),
        signal ? { abortSignal: signal } : {},
      ),
    close: () => s3.destroy(),
  };
}

async function azureUploader(serviceUrl, accountName, accountKey, wrapped, options = {}) {
  const { BlobServiceClient, StorageSharedKeyCredential } = sdkOf(
    "azure-blob",
    "@azure/storage-blob",
  ).module;
  const { OffsetStore } = await import(dist("diagnosis"));
  const { withSkewRecovery } = await import(dist("azure-blob"));
  const service = new BlobServiceClient(
    serviceUrl,
    new StorageSharedKeyCredential(accountName, accountKey),
  );
  if (wrapped) withSkewRecovery(service, { offsets: new OffsetStore(), ...options });
  const container = service.getContainerClient("streams");
  let n = 0;
  return {
    put: (body, length, signal) =>
      container
        .getBlockBlobClient(`k${n++}`)
        .upload(body, length, signal ? { abortSignal: signal } : {}),
    close: () => {},
  };
}

/** The first body byte of a slow stream, ms after the call, as the server sees it. */
async function firstByteMs(uploader, relay) {
  const started = performance.now();
  await uploader.put(slowStream(SLOW), SLOW.chunks * SLOW.chunkBytes);
  const first = relay.firstBodyByteAfter(started);
  return first === undefined ? Number.NaN : first - started;
}

/** ms from `abort()` to the call settling; Infinity when it was still pending at the limit. */
async function abortSettleMs(uploader, makeStream, length) {
  const controller = new AbortController();
  const stream = makeStream();
  const call = uploader.put(stream, length, controller.signal);
  const settled = call.then(
    () => performance.now(),
    () => performance.now(),
  );
  await new Promise((resolve) => setTimeout(resolve, ABORT_AFTER_MS));
  const abortedAt = performance.now();
  controller.abort();
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), STALL_LIMIT_MS);
  });
  const at = await Promise.race([settled, limit]);
  clearTimeout(timer);
  if (!Number.isFinite(at)) {
    // Never settled: end the stream so the call does not outlive the measurement.
    stream.destroy();
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
  return at - abortedAt;
}

/** The container the Azure uploads go to. */
async function containerOn(azure) {
  const { BlobServiceClient, StorageSharedKeyCredential } = sdkOf(
    "azure-blob",
    "@azure/storage-blob",
  ).module;
  await new BlobServiceClient(
    azure.serviceUrl,
    new StorageSharedKeyCredential(azure.accountName, azure.accountKey),
  )
    .getContainerClient("streams")
    .createIfNotExists();
}

async function timelines(provider, servers) {
  const relay = await firstByteRelay(servers.origin(provider));
  const rows = {};
  try {
    for (const wrapped of [false, true]) {
      const side = wrapped ? "ours" : "bare";
      const make = () => servers.uploader(provider, relay.url, wrapped);
      // A fresh client per call: the relay sees one request per connection.
      const first = [];
      for (let i = -1; i < 5; i++) {
        const fresh = await make();
        const ms = await firstByteMs(fresh, relay);
        if (i >= 0) first.push(ms); // the first call of a side warms its modules up
        fresh.close();
      }
      const uploader = await make();
      const slow = await abortSettleMs(
        uploader,
        () => slowStream(SLOW),
        SLOW.chunks * SLOW.chunkBytes,
      );
      // A fresh client: a call left pending must not hold the next one's socket.
      const stalling = await make();
      const stalled = await abortSettleMs(stalling, () => stalledStream(KIB), 64 * KIB);
      uploader.close();
      stalling.close();
      rows[side] = {
        firstByteMs: round(median(first), 0),
        abortSlowMs: Number.isFinite(slow) ? round(slow, 1) : null,
        abortStalledMs: Number.isFinite(stalled) ? round(stalled, 1) : null,
      };
    }
  } finally {
    await relay.close();
  }
  return rows;
}

/** One side of the memory figure, in a child process of its own. */
function child(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) reject(new Error(`bench child ${args.join(" ")} exited ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

/** In the child: N concurrent uploads of `mib` MiB streams; wall time and peak RSS. */
async function runChild([provider, side, scenario, uploads, mib, ...target]) {
  process.removeAllListeners("warning");
  process.on("warning", () => {});
  const n = Number(uploads);
  const size = Number(mib) * MIB;
  const wrapped = side === "ours";
  const uploader =
    provider === "s3"
      ? await s3Uploader(target[0], wrapped)
      : await azureUploader(target[0], target[1], target[2], wrapped);
  const shared = Buffer.alloc(size, 7);
  const chunkBytes = 64 * KIB;
  const streamOf = () =>
    scenario === "shared"
      ? Readable.from(
          (function* () {
            for (let at = 0; at < size; at += chunkBytes)
              yield shared.subarray(at, at + chunkBytes);
          })(),
          { objectMode: false },
        )
      : Readable.from(
          (function* () {
            for (let at = 0; at < size; at += chunkBytes) yield Buffer.alloc(chunkBytes, at);
          })(),
          { objectMode: false },
        );
  // One warm-up call, so both sides measure uploads rather than module loading.
  await uploader.put(streamOf(), size);
  // Sampled as well as read from the kernel: `resourceUsage().maxRSS` is no use here, as Linux
  // carries the parent's peak into a spawned child.
  let sampledPeak = 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const results = await Promise.allSettled(
    Array.from({ length: n }, () => uploader.put(streamOf(), size)),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const failures = results.filter((r) => r.status === "rejected");
  uploader.close();
  process.stdout.write(
    JSON.stringify({
      wallMs: round(wallMs, 0),
      // The client's own work (user + system CPU): what skewguard adds, whatever else loads the
      // machine; the wall time includes the server's work and other processes'.
      cpuMs: round((cpu.user + cpu.system) / 1000, 0),
      peakRssMiB: round(Math.max(sampledPeak, highWaterRss() ?? 0) / MIB, 0),
      failures: failures.length,
      ...(failures.length ? { error: String(failures[0].reason?.message ?? "") } : {}),
    }),
  );
}

/** The process's peak RSS since it started (Linux: `VmHWM`), in bytes; undefined elsewhere. */
function highWaterRss() {
  try {
    const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * KIB : undefined;
  } catch {
    return undefined;
  }
}

async function memory(provider, servers, { uploads, mib, runs, scenario }) {
  const sides = { bare: [], ours: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ["bare", "ours"] : ["ours", "bare"];
    for (const side of order) {
      // An empty server for every run: it keeps what it is sent.
      const target = await servers.childTarget(provider);
      try {
        sides[side].push(
          await child([provider, side, scenario, String(uploads), String(mib), ...target.args]),
        );
      } finally {
        await target.done();
      }
    }
  }
  const summary = (results) => ({
    peakRssMiB: median(results.map((r) => r.peakRssMiB)),
    wallMs: median(results.map((r) => r.wallMs)),
    cpuMs: median(results.map((r) => r.cpuMs)),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
  });
  const bare = summary(sides.bare);
  const ours = summary(sides.ours);
  return {
    scenario,
    uploads,
    mib,
    runs,
    bare,
    ours,
    rssRatio: round(ours.peakRssMiB / bare.peakRssMiB, 2),
    timeRatio: round(ours.wallMs / bare.wallMs, 2),
    cpuRatio: round(ours.cpuMs / bare.cpuMs, 2),
  };
}

export async function runStreamsBench({
  uploads = Number(process.env.BENCH_STREAM_UPLOADS ?? 40),
  mib = Number(process.env.BENCH_STREAM_MIB ?? 8),
  runs = Number(process.env.BENCH_STREAM_RUNS ?? 3),
  scenarios = (process.env.BENCH_STREAM_SCENARIOS ?? "shared,fresh").split(","),
  providers = (process.env.BENCH_STREAM_PROVIDERS ?? "s3,azure").split(","),
  timelinesToo = process.env.BENCH_STREAM_TIMELINES !== "0",
} = {}) {
  const { startS3TestServer, startAzureTestServer } = await import(dist("testkit"));
  const s3 = await startS3TestServer({ idleTimeoutMs: 0 });
  // No idle timer: the S3 part runs for minutes before the Azure part needs this server.
  const azure = await startAzureTestServer({ idleTimeoutMs: 0 });
  const servers = {
    origin: (provider) => (provider === "s3" ? s3.url : new URL(azure.serviceUrl).origin),
    uploader: (provider, origin, wrapped) =>
      provider === "s3"
        ? s3Uploader(origin, wrapped)
        : azureUploader(
            `${origin}${new URL(azure.serviceUrl).pathname}`,
            azure.accountName,
            azure.accountKey,
            wrapped,
          ),
    childTarget: async (provider) => {
      if (provider === "s3") return { args: [s3.url], done: async () => s3.objects.clear() };
      const fresh = await startAzureTestServer({ memoryLimitBytes: 2 * 1024 * MIB });
      await containerOn(fresh);
      return {
        args: [fresh.serviceUrl, fresh.accountName, fresh.accountKey],
        done: () => fresh.close(),
      };
    },
  };
  try {
    await containerOn(azure);
    const report = { slow: SLOW, abortAfterMs: ABORT_AFTER_MS, providers: {} };
    for (const provider of providers) {
      progress(`streams: ${provider} timelines...\n`);
      const row = {
        timelines: timelinesToo ? await timelines(provider, servers) : undefined,
        memory: [],
      };
      for (const scenario of scenarios) {
        progress(`streams: ${provider} ${scenario}...\n`);
        row.memory.push(await memory(provider, servers, { uploads, mib, runs, scenario }));
      }
      report.providers[provider] = row;
    }
    return report;
  } finally {
    await s3.close();
    await azure.close();
  }
}

export function printStreamsBench(report, print) {
  const pad = (text, width) => String(text).padEnd(width);
  const padL = (text, width) => String(text).padStart(width);
  const ms = (value) => (value === null ? "never" : `${value} ms`);
  const s = report.slow;
  const rows = Object.entries(report.providers).filter(([, row]) => row.timelines);
  if (rows.length > 0) {
    print(
      `\nStream uploads: a slow stream (${s.chunks} x ${s.chunkBytes / KIB} KiB, one every ${s.intervalMs} ms); abort ${report.abortAfterMs} ms into the call (a stalled stream gave 1 KiB and stopped); "never" = pending after ${STALL_LIMIT_MS / 1000} s`,
    );
    print(
      `  ${pad("provider", 9)}${pad("side", 11)}${padL("first body byte", 16)}${padL("abort: slow", 13)}${padL("abort: stalled", 16)}  target: first byte as bare, settled <= 50 ms after abort`,
    );
    for (const [provider, row] of rows) {
      for (const side of ["bare", "ours"]) {
        const t = row.timelines[side];
        print(
          `  ${pad(provider, 9)}${pad(side === "ours" ? "skewguard" : "bare", 11)}${padL(`${t.firstByteMs} ms`, 16)}${padL(ms(t.abortSlowMs), 13)}${padL(ms(t.abortStalledMs), 16)}`,
        );
      }
    }
  }
  const first = Object.values(report.providers)[0]?.memory[0];
  if (!first) return;
  print(
    `\n${first.uploads} concurrent uploads of a ${first.mib} MiB stream, one child process per side, median of ${first.runs} runs: peak RSS, wall time and the client's CPU time`,
  );
  print(
    `  ${pad("provider", 9)}${pad("chunks", 8)}${padL("bare RSS", 10)}${padL("ours RSS", 10)}${padL("ratio", 7)}${padL("bare wall", 11)}${padL("ours wall", 11)}${padL("ratio", 7)}${padL("bare CPU", 10)}${padL("ours CPU", 10)}${padL("ratio", 7)}${padL("failures", 10)}  target: RSS <= 1.5x, time <= 1.2x`,
  );
  for (const [provider, row] of Object.entries(report.providers)) {
    for (const m of row.memory) {
      print(
        `  ${pad(provider, 9)}${pad(m.scenario, 8)}${padL(`${m.bare.peakRssMiB} MiB`, 10)}${padL(`${m.ours.peakRssMiB} MiB`, 10)}${padL(m.rssRatio, 7)}${padL(`${m.bare.wallMs} ms`, 11)}${padL(`${m.ours.wallMs} ms`, 11)}${padL(m.timeRatio, 7)}${padL(`${m.bare.cpuMs} ms`, 10)}${padL(`${m.ours.cpuMs} ms`, 10)}${padL(m.cpuRatio, 7)}${padL(`${m.bare.failures}/${m.ours.failures}`, 10)}`,
      );
    }
  }
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] === self) {
  if (process.argv[2] === "--child") {
    await runChild(process.argv.slice(3));
  } else {
    process.removeAllListeners("warning");
    process.on("warning", () => {});
    const report = await runStreamsBench();
    if (process.argv.includes("--json")) console.log(JSON.stringify(report, null, 2));
    else printStreamsBench(report, (line = "") => console.log(line));
  }
}
