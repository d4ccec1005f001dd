// A service-account key on a machine whose clock is 20 minutes behind Google's: the bare
// @google-cloud/storage client cannot get a token at all; the same client wrapped with
// skewguard learns the clock from the refusal and grants again at once. `index.mjs` runs this;
// test/examples/gcs-service-account.test.ts runs it on every `pnpm test`.
import { Storage } from "@google-cloud/storage";
import { withSkewRecovery } from "@skewguard/gcs";
import {
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";

const MINUTE = 60_000;
const SKEW_MS = 20 * MINUTE;

/**
 * Runs the bare client, then the wrapped one, against a GCS fake whose clock is 20 minutes
 * ahead. Returns what happened, counted at the fake.
 */
export async function main({ print = console.log } = {}) {
  // Stands in for Google: verifies the JWT's signature and its iat/exp against its own clock.
  const server = await startGcsTestServer({ clockOffsetMs: SKEW_MS });
  try {
    print(`GCS fake at ${server.url}, its clock 20 minutes ahead of this machine's\n`);
    const bare = await runBare(server, print);
    server.resetCounts();
    const wrapped = await runWrapped(server, print);
    return { skewMs: SKEW_MS, bare, wrapped };
  } finally {
    await server.close();
  }
}

async function runBare(server, print) {
  const storage = await connect(new Storage(clientOptions(server)), server);
  const error = await storage
    .bucket("reports")
    .getFiles()
    .then(
      () => undefined,
      (e) => e,
    );
  print("bare @google-cloud/storage");
  print(`  getFiles()       ${error ? `failed: ${error.message}` : "succeeded"}`);
  print(`  at the server    ${countsText(server.counts)}\n`);
  return {
    outcome: error ? "failed" : "succeeded",
    error: error?.message,
    counts: { ...server.counts },
  };
}

async function runWrapped(server, print) {
  const events = [];

  // ---- what a user writes (`new Storage()` on their own credentials, the same) ----
  const storage = withSkewRecovery(new Storage(clientOptions(server)), {
    onEvent: (event) => events.push(event),
  });
  // -----------------------------------------------------------------------------------
  await connect(storage, server);

  const bytes = Buffer.from("quarterly numbers\n".repeat(1000));
  const file = storage.bucket("reports").file("q4.csv");
  await file.save(bytes, { resumable: false });
  const [readBack] = await file.download();
  const [files] = await storage.bucket("reports").getFiles();
  await file.delete();

  const readBackEqual = readBack.equals(bytes);
  print("withSkewRecovery(new Storage(...))");
  print(`  save, download, getFiles, delete: succeeded, ${bytes.length} bytes read back equal`);
  print(`  at the server    ${countsText(server.counts)}`);
  print("  events");
  for (const event of events) print(`    ${eventLine(event)}`);
  return {
    outcome: readBackEqual && files.length === 1 ? "succeeded" : "wrong data",
    readBackEqual,
    counts: { ...server.counts },
    grants: server.grants.map((grant) => grant.status),
    events: events.map((event) => event.type),
    learnedOffsetMs: events.find((event) => event.type === "request.recovered")?.offsetMs,
  };
}

/** Pointing the client at the fake: what one would do for any emulator. */
function clientOptions(server) {
  const key = testServiceAccount();
  return {
    apiEndpoint: server.url,
    useAuthWithCustomEndpoint: true,
    projectId: "example-project",
    credentials: { client_email: key.client_email, private_key: key.private_key },
  };
}

/**
 * Sends the client's token grants to the fake: google-auth-library 9 posts them to Google
 * whatever the key's `token_uri` says. Test plumbing, not part of using skewguard.
 */
async function connect(storage, server) {
  redirectGoogleTokenRequests(await storage.authClient.getClient(), server.tokenUrl);
  return storage;
}

function countsText(counts) {
  return `${counts.token} token grant request(s), ${counts.json} JSON API request(s)`;
}

function eventLine(event) {
  const details = [
    event.operation,
    event.offsetMs === undefined ? undefined : `offset ${formatMinutes(event.offsetMs)}`,
    event.attempts === undefined ? undefined : `attempts ${event.attempts}`,
    event.reason,
    event.why,
  ].filter(Boolean);
  return `${event.type.padEnd(18)} ${details.join(", ")}`;
}

function formatMinutes(ms) {
  const sign = ms < 0 ? "-" : "+";
  return `${sign}${(Math.abs(ms) / MINUTE).toFixed(2)} min`;
}
