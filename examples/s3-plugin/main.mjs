// s3-plugin: an S3Client against an S3 server whose clock runs 20 minutes ahead of this
// machine's. The same three calls, first with the bare SDK, then with skewguard's plugin.
// `index.mjs` runs it; so does the test suite.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");
const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];

// ---- What you write (the README's snippet) -------------------------------------------------

/** An S3 client whose signatures follow the server's clock. */
function connect(endpoint, onEvent) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  // The one line skewguard adds: each attempt is signed on the server's clock (learned from its
  // answers); a request the clock broke is re-signed and resent at once, without backoff; errors
  // the clock did not cause (a 404) are no longer retried as "clock skew corrected".
  s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent }));
  return s3;
}

/** What the app does: upload a report, read it back, look for a file that is not there. */
async function useStorage(s3, count) {
  return [
    await count("upload report.csv", () =>
      s3.send(new PutObjectCommand({ Bucket: "reports", Key: "report.csv", Body: REPORT })),
    ),
    await count("download report.csv", async () => {
      const got = await s3.send(new GetObjectCommand({ Bucket: "reports", Key: "report.csv" }));
      const bytes = Buffer.from(await got.Body.transformToByteArray());
      return { ...got, bytesMatch: bytes.equals(REPORT) };
    }),
    await count("get missing.csv", () =>
      s3.send(new GetObjectCommand({ Bucket: "reports", Key: "missing.csv" })),
    ),
  ];
}

// ---- The run ------------------------------------------------------------------------------

/** Runs both clients against one skewed server, prints what happened, returns a summary. */
export async function main({ print = console.log } = {}) {
  // A loopback S3 server from @skewguard/testkit that verifies SigV4 on its own clock.
  const server = await startS3TestServer({ clockOffsetMs: SERVER_AHEAD_MS });
  const clients = [];
  try {
    const count = counter(server);
    print(`S3 server at ${server.url}, its clock ${formatMs(SERVER_AHEAD_MS)} ahead of ours.`);

    print("\nThe bare SDK:");
    const bareClient = new S3Client({
      region: "us-east-1",
      endpoint: server.url,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    });
    clients.push(bareClient);
    const bare = await useStorage(bareClient, count);
    printCalls(print, bare);

    print("\nA fresh client with getSkewRecoveryPlugin:");
    const events = [];
    const s3 = connect(server.url, (event) => events.push(event));
    clients.push(s3);
    const wrapped = await useStorage(s3, count);
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
    for (const client of clients) client.destroy();
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
        status: result.$metadata.httpStatusCode,
        sdkAttempts: result.$metadata.attempts,
        retryDelayMs: result.$metadata.totalRetryDelay,
        ...(result.bytesMatch === undefined ? {} : { bytesMatch: result.bytesMatch }),
      };
    } catch (error) {
      return {
        call,
        attempts: server.attempts - before,
        status: error.$metadata?.httpStatusCode,
        code: error.Code ?? error.name,
        sdkAttempts: error.$metadata?.attempts,
        retryDelayMs: error.$metadata?.totalRetryDelay,
      };
    }
  };
}

function printCalls(print, calls) {
  for (const { call, attempts, status, code, sdkAttempts, retryDelayMs, bytesMatch } of calls) {
    const outcome = code ? `${status} ${code}` : String(status);
    const check = bytesMatch === undefined ? "" : bytesMatch ? " (bytes match)" : " (BYTES DIFFER)";
    // SDK retries (not skewguard's resend, which happens inside one SDK attempt) back off first.
    const slept = sdkAttempts > 1 ? `, SDK retried, slept ${retryDelayMs} ms in backoff` : "";
    print(
      `  ${call.padEnd(20)} ${plural(attempts, "attempt").padEnd(11)} ${outcome}${check}${slept}`,
    );
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
