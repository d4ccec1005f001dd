// The demo (`npm run demo`): the three SDKs against loopback servers whose clocks are far off,
// bare and with skewguard, then skewguard's core on its own. `index.mjs` runs it; so does
// test/examples/demo.test.ts.
import { learnOffset } from "./core.mjs";
import { diagnoseCases } from "./diagnoses.mjs";
import { azure } from "./live-azure.mjs";
import { gcs } from "./live-gcs.mjs";
import { runProvider } from "./live.mjs";
import { s3 } from "./live-s3.mjs";
import { printProvider } from "./report.mjs";

const PROVIDERS = { s3, azure, gcs };

/** Runs the whole demo; returns, per provider, what the bare and wrapped clients did. */
export async function main({ print = console.log } = {}) {
  print("== 1. The SDKs against storage servers whose clocks are off (127.0.0.1 only) ==");
  const servers = await startServers();
  const summary = {};
  try {
    for (const [name, provider] of Object.entries(PROVIDERS)) {
      summary[name] = await runProvider(provider, servers[name]);
      printProvider(print, provider, summary[name]);
    }
  } finally {
    await Promise.allSettled(Object.values(servers).map((server) => server.close()));
  }

  print("\n== 2. Learning a server's clock from Date headers (HTP interval intersection) ==");
  learnOffset(print);
  print("\n== 3. Naming the cause of real-shaped signature failures ==");
  await diagnoseCases(print);
  return summary;
}

/** Every provider's server at once; if one cannot start, the others are stopped again. */
async function startServers() {
  const entries = Object.entries(PROVIDERS);
  const started = await Promise.allSettled(
    entries.map(([, provider]) => provider.start(provider.serverOffsetMs)),
  );
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.allSettled(
      started.filter((result) => result.status === "fulfilled").map(({ value }) => value.close()),
    );
    throw failed.reason;
  }
  return Object.fromEntries(entries.map(([name], i) => [name, started[i].value]));
}
