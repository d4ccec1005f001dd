// The GCS part of `pnpm bench`: the bare @google-cloud/storage against the same client with
// skewguard, in one run, on the testkit's GCS fake. Plain JS on the built packages (run
// `pnpm build` first). Run alone with `node packages/gcs/bench/bench.mjs`, or import
// `runGcsBench` from scripts/bench.mjs.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = new URL("../../../", import.meta.url);
const dist = (name) => new URL(`packages/${name}/dist/index.js`, root);
const MINUTE = 60_000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const ms = (value) => `${value.toFixed(2)} ms`;
const ratio = (ours, bare) => (ours / bare).toFixed(3);

/** Runs the GCS figures and prints them; returns them for callers that compare runs. */
export async function runGcsBench({
  rounds = Number(process.env.BENCH_ROUNDS ?? 1000),
  firstRuns = Number(process.env.BENCH_FIRST_RUNS ?? 10),
} = {}) {
  for (const name of ["diagnosis", "testkit", "gcs"]) {
    if (!existsSync(dist(name)))
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` first`);
  }
  // The SDK as the package resolves it (a devDependency there; the root has none).
  const { Storage } = createRequire(new URL("packages/gcs/package.json", root))(
    "@google-cloud/storage",
  );
  const { OffsetStore } = await import(dist("diagnosis"));
  const { startGcsTestServer, redirectGoogleTokenRequests, testServiceAccount } = await import(
    dist("testkit")
  );
  const { withSkewRecovery } = await import(dist("gcs"));

  const server = await startGcsTestServer({ idleTimeoutMs: 10 * MINUTE });
  server.objects.set("b/k", Buffer.from("benchmark object"));
  const account = testServiceAccount();

  /** A fresh client; `wrapped` adds skewguard with an offset store of its own. */
  async function client(wrapped) {
    const bare = new Storage({
      apiEndpoint: server.url,
      useAuthWithCustomEndpoint: true,
      projectId: "bench",
      credentials: { client_email: account.client_email, private_key: account.private_key },
      retryOptions: { autoRetry: false },
    });
    const storage = wrapped ? withSkewRecovery(bare, { offsets: new OffsetStore() }) : bare;
    redirectGoogleTokenRequests(await storage.authClient.getClient(), server.tokenUrl);
    return storage;
  }

  async function download(storage) {
    const started = performance.now();
    await storage.bucket("b").file("k").download();
    return performance.now() - started;
  }

  // Happy path: clocks agree, both clients warm (token granted), alternating every round.
  server.setClockOffset(0);
  const bare = await client(false);
  const ours = await client(true);
  for (let i = 0; i < 100; i++) {
    await download(bare);
    await download(ours);
  }
  const happy = { bare: [], ours: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ["bare", "ours"] : ["ours", "bare"];
    for (const which of order) happy[which].push(await download(which === "bare" ? bare : ours));
  }

  // First call of a fresh client on a server 20 minutes ahead: time, grants, failures.
  server.setClockOffset(20 * MINUTE);
  const first = {};
  for (const wrapped of [false, true]) {
    const run = { times: [], grants: [], failures: 0 };
    for (let i = 0; i < firstRuns; i++) {
      const storage = await client(wrapped);
      const before = server.counts.token;
      try {
        run.times.push(await download(storage));
      } catch {
        run.failures++;
      }
      run.grants.push(server.counts.token - before);
    }
    first[wrapped ? "ours" : "bare"] = run;
  }
  await server.close();

  console.log(
    `skewguard bench: @google-cloud/storage download on the testkit GCS fake (${server.url})`,
  );
  console.log(`Happy path, clocks agreeing, ${rounds} downloads each, alternating`);
  console.log(`  bare SDK      median ${ms(median(happy.bare))}  mean ${ms(mean(happy.bare))}`);
  console.log(`  + skewguard   median ${ms(median(happy.ours))}  mean ${ms(mean(happy.ours))}`);
  console.log(
    `  ratio         median ${ratio(median(happy.ours), median(happy.bare))}  mean ${ratio(mean(happy.ours), mean(happy.bare))}  (target <= 1.03)\n`,
  );
  console.log(`First call of a fresh client, server +20 min (${firstRuns} clients each)`);
  for (const [label, run] of [
    ["bare SDK   ", first.bare],
    ["+ skewguard", first.ours],
  ]) {
    const time = run.times.length > 0 ? ms(median(run.times)) : "   -   ";
    console.log(
      `  ${label}   median ${time}  grants ${run.grants.join(",")}  failures ${run.failures}`,
    );
  }
  return { happy, first };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.removeAllListeners("warning");
  await runGcsBench();
}
