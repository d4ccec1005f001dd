// `pnpm bench`: the bare AWS SDK against the SDK with skewguard's plugin, in one run, on the
// testkit's S3 server. Plain JS on the built packages: run `pnpm build` first; this builds nothing.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const root = new URL("../", import.meta.url);
const dist = (name) => new URL(`packages/${name}/dist/index.js`, root);
for (const name of ["diagnosis", "testkit", "aws-s3"]) {
  if (!existsSync(dist(name))) {
    console.error(`bench: packages/${name}/dist is missing: run \`pnpm build\` first.`);
    process.exit(1);
  }
}
// The SDK as the plugin package resolves it (a devDependency there; the root has none).
const requireFromS3 = createRequire(new URL("packages/aws-s3/package.json", root));
const { S3Client, GetObjectCommand } = requireFromS3("@aws-sdk/client-s3");
const { OffsetStore } = await import(dist("diagnosis"));
const { startS3TestServer } = await import(dist("testkit"));
const { getSkewRecoveryPlugin } = await import(dist("aws-s3"));

const MINUTE = 60_000;
const SKEW_MS = 20 * MINUTE;
const HAPPY_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);
const FIRST_CALL_RUNS = Number(process.env.BENCH_FIRST_RUNS ?? 10);
const BURSTS = [50, 100, 200];

// The SDK's own Node-20 deprecation notice and its socket-queue warnings are not results.
process.removeAllListeners("warning");
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

const server = await startS3TestServer({ idleTimeoutMs: 0 });
server.objects.set("b/k", Buffer.from("benchmark object"));

/** A fresh client; `wrapped` adds the plugin with an offset store of its own. */
function client(wrapped) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    },
    logger: quietLogger,
  });
  if (wrapped)
    s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { offsets: new OffsetStore() }));
  return s3;
}

/** One GetObject, body read (an unread body holds its socket): ms, or a thrown error. */
async function getObject(s3) {
  const started = performance.now();
  const got = await s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
  await got.Body.transformToString();
  return performance.now() - started;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
/** Mean of the middle 90%: one GC pause or a neighbour's burst otherwise decides the figure. */
const trimmedMean = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.05);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
};
const p90 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)];
const ms = (value) => `${value.toFixed(2)} ms`;
const ratio = (ours, bare) => (ours / bare).toFixed(3);

/** Happy path: no skew, both clients warm, alternating (the order flips every round). */
async function happyPath() {
  server.setClockOffset(0);
  const bare = client(false);
  const ours = client(true);
  for (let i = 0; i < 200; i++) {
    await getObject(bare);
    await getObject(ours);
  }
  const times = { bare: [], ours: [] };
  for (let i = 0; i < HAPPY_ROUNDS; i++) {
    const order = i % 2 === 0 ? ["bare", "ours"] : ["ours", "bare"];
    for (const which of order) times[which].push(await getObject(which === "bare" ? bare : ours));
  }
  bare.destroy();
  ours.destroy();
  return times;
}

/** First call of a fresh client on a server 20 minutes ahead: time and attempts. */
async function firstSkewedCall(wrapped) {
  server.setClockOffset(SKEW_MS);
  const times = [];
  const attempts = [];
  let failures = 0;
  for (let i = 0; i < FIRST_CALL_RUNS; i++) {
    const s3 = client(wrapped);
    const before = server.attempts;
    try {
      times.push(await getObject(s3));
    } catch {
      failures++;
    }
    attempts.push(server.attempts - before);
    s3.destroy();
  }
  return { times, attempts, failures };
}

/** N concurrent GetObjects from a fresh client on a server 20 minutes ahead. */
async function burst(n, wrapped) {
  server.setClockOffset(SKEW_MS);
  const s3 = client(wrapped);
  const before = server.attempts;
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: n }, () => getObject(s3)));
  const wallMs = performance.now() - started;
  s3.destroy();
  const failures = results.filter((r) => r.status === "rejected").length;
  return { attempts: server.attempts - before, failures, wallMs };
}

console.log(
  `skewguard bench: @aws-sdk/client-s3 GetObject on the testkit S3 server (${server.url})`,
);
console.log(`node ${process.version}\n`);

const happy = await happyPath();
console.log(`Happy path, clocks agreeing, ${HAPPY_ROUNDS} GetObjects each, alternating`);
for (const [label, times] of [
  ["bare SDK   ", happy.bare],
  ["+ skewguard", happy.ours],
]) {
  console.log(
    `  ${label}   median ${ms(median(times))}  trimmed mean ${ms(trimmedMean(times))}  p90 ${ms(p90(times))}`,
  );
}
console.log(
  `  ratio         median ${ratio(median(happy.ours), median(happy.bare))}  trimmed mean ${ratio(trimmedMean(happy.ours), trimmedMean(happy.bare))}  p90 ${ratio(p90(happy.ours), p90(happy.bare))}  (target <= 1.03)\n`,
);

const bareFirst = await firstSkewedCall(false);
const oursFirst = await firstSkewedCall(true);
console.log(`First call of a fresh client, server +20 min (${FIRST_CALL_RUNS} clients each)`);
for (const [label, run] of [
  ["bare SDK   ", bareFirst],
  ["+ skewguard", oursFirst],
]) {
  console.log(
    `  ${label}   median ${ms(median(run.times))}  attempts ${run.attempts.join(",")}  failures ${run.failures}`,
  );
}
console.log(`  ratio         median ${ratio(median(oursFirst.times), median(bareFirst.times))}\n`);

console.log("Bursts from a fresh client, server +20 min");
console.log(
  "      N | bare: attempts failures   wall | skewguard: attempts failures   wall | wall ratio",
);
for (const n of BURSTS) {
  const bare = await burst(n, false);
  const ours = await burst(n, true);
  const cell = (r) =>
    `${String(r.attempts).padStart(8)} ${String(r.failures).padStart(8)} ${r.wallMs.toFixed(0).padStart(6)} ms`;
  console.log(
    `  ${String(n).padStart(5)} | ${cell(bare)} |      ${cell(ours)} | ${ratio(ours.wallMs, bare.wallMs)}`,
  );
}

await server.close();
