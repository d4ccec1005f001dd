// azure-shared-key: a BlobServiceClient signing with its account key (SharedKey) against a
// storage server whose clock runs 20 minutes ahead of this machine's. The same three calls,
// first with the bare SDK, then with skewguard. `index.mjs` runs it; so does the test suite.
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { startAzureTestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");

// ---- What you write (the README's snippet) -------------------------------------------------

/** A service client whose SharedKey signatures follow the server's clock. */
function connect(url, accountName, accountKey, onEvent) {
  const credential = new StorageSharedKeyCredential(accountName, accountKey);
  // The one line skewguard adds: the SDK signs with `new Date()`, the wrapped client with the
  // server's clock, learned from its answers; a request the clock broke is re-signed and resent.
  return withSkewRecovery(new BlobServiceClient(url, credential), { onEvent });
}

/** What the app does: create a container, upload a report, read it back. */
async function useStorage(service, count) {
  const container = service.getContainerClient("reports");
  const blob = container.getBlockBlobClient("q4.csv");
  return [
    await count("create container", () => container.createIfNotExists()),
    await count("upload q4.csv", () => blob.upload(REPORT, REPORT.length)),
    await count("download q4.csv", async () => {
      const response = await blob.download();
      const bytes = await readAll(response.readableStreamBody);
      return { _response: response._response, bytesMatch: bytes.equals(REPORT) };
    }),
  ];
}

// ---- The run ------------------------------------------------------------------------------

/** Runs both clients against one skewed server, prints what happened, returns a summary. */
export async function main({ print = console.log } = {}) {
  // Azurite (Microsoft's emulator) behind a proxy whose clock is 20 minutes ahead.
  const server = await startAzureTestServer({ clockOffsetMs: SERVER_AHEAD_MS });
  try {
    const { serviceUrl, accountName, accountKey } = server;
    const count = counter(server);
    print(`Storage server at ${serviceUrl}, its clock ${formatMs(SERVER_AHEAD_MS)} ahead of ours.`);

    print("\nThe bare SDK:");
    const bareService = new BlobServiceClient(
      serviceUrl,
      new StorageSharedKeyCredential(accountName, accountKey),
    );
    const bare = await useStorage(bareService, count);
    printCalls(print, bare);

    print("\nThe same client with withSkewRecovery:");
    const events = [];
    const service = connect(serviceUrl, accountName, accountKey, (event) => events.push(event));
    const wrapped = await useStorage(service, count);
    printCalls(print, wrapped);
    print("\nEvents:");
    for (const event of events) print(`  ${describeEvent(event)}`);

    const recovered = events.find((event) => event.type === "request.recovered");
    return {
      serverAheadMs: SERVER_AHEAD_MS,
      bare,
      wrapped,
      learnedOffsetMs: recovered?.offsetMs,
      eventTypes: events.map((event) => event.type),
    };
  } finally {
    await server.close();
  }
}

/** Runs one call and records how many requests reached the server for it. */
function counter(server) {
  return async (call, fn) => {
    const before = server.attempts;
    try {
      const result = await fn();
      return {
        call,
        attempts: server.attempts - before,
        status: result._response.status,
        ...(result.bytesMatch === undefined ? {} : { bytesMatch: result.bytesMatch }),
      };
    } catch (error) {
      return {
        call,
        attempts: server.attempts - before,
        status: error.statusCode,
        code: error.code,
        detail:
          error.details?.authenticationErrorDetail ?? error.details?.AuthenticationErrorDetail,
      };
    }
  };
}

function printCalls(print, calls) {
  for (const { call, attempts, status, code, detail, bytesMatch } of calls) {
    const outcome = code ? `${status} ${code}: ${detail ?? ""}` : String(status);
    const check = bytesMatch === undefined ? "" : bytesMatch ? " (bytes match)" : " (BYTES DIFFER)";
    print(`  ${call.padEnd(18)} ${plural(attempts, "attempt").padEnd(11)} ${outcome}${check}`);
  }
}

function describeEvent(event) {
  const offset = event.offsetMs === undefined ? "" : ` offset ${formatMs(event.offsetMs)}`;
  const extra =
    event.type === "request.recovered"
      ? `, ${event.attempts} attempts, +${Math.round(event.extraLatencyMs)} ms`
      : event.type === "recovery.skipped"
        ? `, ${event.reason}`
        : "";
  return `${event.type.padEnd(18)} ${event.operation ?? ""}${offset}${extra}`;
}

function formatMs(ms) {
  const sign = ms < 0 ? "-" : "+";
  // Rounded to tenths of a second first, so 59.96 s reads "1 min 0.0 s", not "0 min 60.0 s".
  const tenths = Math.round(Math.abs(ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = ((tenths % 600) / 10).toFixed(1);
  return `${sign}${minutes} min ${seconds} s`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream ?? []) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
