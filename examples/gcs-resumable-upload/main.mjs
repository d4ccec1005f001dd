// Resumable uploads, the default of @google-cloud/storage's createWriteStream() and save(), from
// a machine whose clock is 20 minutes behind Google's. The upload session's first request needs a
// token, and the bare client's token grant is refused for the JWT's times before a byte leaves;
// wrapped with skewguard, the grant is made again at once on the server's clock, and a chunked
// upload whose connection drops mid-chunk resumes where GCS says it got to. `index.mjs` runs
// this; test/examples/gcs-resumable-upload.test.ts runs it on every `pnpm test`.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Storage } from "@google-cloud/storage";
import { withSkewRecovery } from "@skewguard/gcs";
import {
  redirectGoogleStorageRequests,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";

const MINUTE = 60_000;
const SKEW_MS = 20 * MINUTE;
const CHUNK_SIZE = 512 * 1024; // a multiple of 256 KiB, as GCS asks
const SIZE = 3 * CHUNK_SIZE + 4321;

/**
 * Uploads the same bytes with the bare client, then the wrapped one (the connection of its first
 * chunk dropped by the fake), then through a custom endpoint. Returns what happened, counted at
 * the fake.
 */
export async function main({ print = console.log } = {}) {
  // Stands in for Google: checks the JWT's times and every upload step's token on its own clock.
  const server = await startGcsTestServer({ clockOffsetMs: SKEW_MS });
  const bytes = payload(SIZE);
  try {
    print(`GCS fake at ${server.url}, its clock 20 minutes ahead of this machine's`);
    print(
      `uploading ${bytes.length} bytes with file.createWriteStream({ chunkSize: ${CHUNK_SIZE} })\n`,
    );
    const bare = await runBare(server, bytes, print);
    server.resetCounts();
    const wrapped = await runWrapped(server, bytes, print);
    server.resetCounts();
    const customEndpoint = await runCustomEndpoint(server, bytes, print);
    return { skewMs: SKEW_MS, size: bytes.length, bare, wrapped, customEndpoint };
  } finally {
    await server.close();
  }
}

async function runBare(server, bytes, print) {
  const storage = await connect(new Storage(clientOptions()), server);
  const error = await upload(storage.bucket("backups").file("bare.tar"), bytes);
  print("bare @google-cloud/storage");
  print(`  createWriteStream  ${error ? `failed: ${error.message}` : "succeeded"}`);
  print(`  at the server      ${countsText(server)}\n`);
  return outcome(server, "bare.tar", bytes, error);
}

async function runWrapped(server, bytes, print) {
  const events = [];
  // The fake drops the connection of the first chunk 300 000 bytes in, and keeps the first
  // 256 KiB of it, as GCS keeps whole 256 KiB of an interrupted chunk.
  server.setFaults({ json: { kind: "drop-upload", afterBytes: 300_000 } });

  // ---- what a user writes (`new Storage()` on their own credentials, the same) ----
  const storage = withSkewRecovery(new Storage(clientOptions()), {
    onEvent: (event) => events.push(event),
  });
  // -----------------------------------------------------------------------------------
  await connect(storage, server);
  const error = await upload(storage.bucket("backups").file("wrapped.tar"), bytes);
  server.setFaults({});

  print("withSkewRecovery(new Storage(...))");
  print(`  createWriteStream  ${error ? `failed: ${error.message}` : "succeeded"}`);
  print(`  at the server      ${countsText(server)}`);
  for (const step of server.uploads) print(`    ${stepLine(step)}`);
  print("  events");
  for (const event of events) print(`    ${eventLine(event)}`);
  print("");
  return {
    ...outcome(server, "wrapped.tar", bytes, error),
    events: events.map((event) => event.type),
    learnedOffsetMs: events.find((event) => event.type === "request.recovered")?.offsetMs,
  };
}

/**
 * A custom apiEndpoint: createWriteStream() sends its session without credentials there (the
 * library's doing), so the session is opened with createResumableUpload(), which sends them, and
 * its URI handed to save().
 */
async function runCustomEndpoint(server, bytes, print) {
  const storage = withSkewRecovery(
    new Storage({ ...clientOptions(), apiEndpoint: server.url, useAuthWithCustomEndpoint: true }),
  );
  redirectGoogleTokenRequests(await storage.authClient.getClient(), server.tokenUrl);
  const direct = await upload(storage.bucket("backups").file("direct.tar"), bytes);
  const file = storage.bucket("backups").file("custom.tar");
  const error = await file
    .createResumableUpload()
    .then(([uri]) => file.save(bytes, { uri }))
    .then(
      () => undefined,
      (e) => e,
    );
  print(`apiEndpoint: ${server.url}, useAuthWithCustomEndpoint: true, wrapped`);
  print(
    `  createWriteStream                     ${direct ? `failed: ${direct.message}` : "succeeded"}`,
  );
  print(
    `  createResumableUpload, save({ uri })  ${error ? `failed: ${error.message}` : "succeeded"}`,
  );
  print(`  at the server      ${countsText(server)}`);
  for (const step of server.uploads) print(`    ${stepLine(step)}`);
  return { directError: direct?.message, ...outcome(server, "custom.tar", bytes, error) };
}

/** Several writes, as a file stream delivers them, into a chunked resumable upload. */
function upload(file, bytes) {
  const pieces = Array.from({ length: 16 }, (_, i) =>
    bytes.subarray((i * bytes.length) / 16, ((i + 1) * bytes.length) / 16),
  );
  // The library retries a dropped chunk only for an idempotent upload: a generation
  // precondition (0: "the object does not exist yet") makes it one.
  const stream = file.createWriteStream({
    chunkSize: CHUNK_SIZE,
    preconditionOpts: { ifGenerationMatch: 0 },
  });
  return pipeline(Readable.from(pieces), stream).then(
    () => undefined,
    (e) => e,
  );
}

function outcome(server, name, bytes, error) {
  const stored = server.objects.get(`backups/${name}`);
  return {
    outcome: error ? "failed" : stored?.equals(bytes) ? "succeeded" : "wrong data",
    error: error?.message,
    storedEqual: stored?.equals(bytes) ?? false,
    grants: server.grants.map((grant) => grant.status),
    uploads: server.uploads.map((step) => ({
      request: step.request,
      status: step.status,
      contentRange: step.contentRange,
    })),
  };
}

/** Where the fake stands in for Google: Google's default endpoint, as users configure it. */
function clientOptions() {
  const key = testServiceAccount();
  return {
    projectId: "example-project",
    credentials: { client_email: key.client_email, private_key: key.private_key },
  };
}

/**
 * Sends the client's token grants and upload requests, which google-auth-library and the
 * library address to Google, to the fake. Test plumbing, not part of using skewguard.
 */
async function connect(storage, server) {
  const auth = await storage.authClient.getClient();
  redirectGoogleTokenRequests(auth, server.tokenUrl);
  redirectGoogleStorageRequests(auth, server.url);
  return storage;
}

/** Deterministic bytes that do not repeat: a shifted byte shows. */
function payload(size) {
  const out = Buffer.alloc(size);
  let x = 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function countsText(server) {
  const grants = server.grants.map((grant) => grant.status).join(", ") || "none";
  return `${server.counts.token} token grant request(s) (${grants}), ${server.uploads.length} upload request(s)`;
}

function stepLine(step) {
  return `${step.request.padEnd(8)} ${String(step.status).padEnd(7)} ${step.contentRange ?? ""}`;
}

function eventLine(event) {
  const details = [
    event.operation,
    event.offsetMs === undefined ? undefined : `offset ${formatMinutes(event.offsetMs)}`,
    event.attempts === undefined ? undefined : `attempts ${event.attempts}`,
  ].filter(Boolean);
  return `${event.type.padEnd(18)} ${details.join(", ")}`;
}

function formatMinutes(ms) {
  const sign = ms < 0 ? "-" : "+";
  return `${sign}${(Math.abs(ms) / MINUTE).toFixed(2)} min`;
}
