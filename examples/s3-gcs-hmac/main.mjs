// s3-gcs-hmac: an S3Client on Google Cloud Storage's XML API (its S3-interoperable endpoint)
// with HMAC keys, on a machine whose clock is 20 minutes ahead of Google's. The same three
// calls, first with the bare SDK, then with skewguard's plugin. `index.mjs` runs it; so does
// the test suite.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { startS3TestServer } from "@skewguard/testkit";

const SERVER_OFFSET_MS = -20 * 60_000;
const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");
// The shape of a GCS HMAC key (Cloud Console > Cloud Storage > Settings > Interoperability);
// made up: the fake below accepts it, Google would not.
const HMAC_ACCESS_ID = "GOOG1EXAMPLEHMACACCESSIDFORTHESKEWGUARDEXAMPLE0000000000000";
const HMAC_SECRET = "bGAEXAMPLEhmacSECRETforSkewguard0000000A";

// ---- What you write (the README's snippet) -------------------------------------------------

/** An S3 client on GCS's XML API (`https://storage.googleapis.com` in production). */
function connect(endpoint, onEvent) {
  const s3 = new S3Client({
    region: "auto", // GCS ignores the region of the credential scope
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: HMAC_ACCESS_ID, secretAccessKey: HMAC_SECRET },
  });
  // The same plugin as for AWS: GCS's RequestTimeTooSkewed carries no ServerTime, so the
  // server's clock is read from its Date header; the request is re-signed and resent at once.
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

/** Runs both clients against one skewed GCS-like server, prints what happened, returns a summary. */
export async function main({ print = console.log } = {}) {
  // A loopback server from @skewguard/testkit that answers like GCS's XML API (x-goog-*
  // headers, GCS error documents) and verifies SigV4 with the HMAC key on its own clock.
  const server = await startS3TestServer({
    flavor: "gcs",
    clockOffsetMs: SERVER_OFFSET_MS,
    credentials: { [HMAC_ACCESS_ID]: HMAC_SECRET },
  });
  const clients = [];
  try {
    const count = counter(server);
    print(
      `GCS-like XML API at ${server.url}, its clock ${formatMs(-SERVER_OFFSET_MS).slice(1)} behind ours.`,
    );

    print("\nThe bare SDK:");
    const bareClient = new S3Client({
      region: "auto",
      endpoint: server.url,
      forcePathStyle: true,
      credentials: { accessKeyId: HMAC_ACCESS_ID, secretAccessKey: HMAC_SECRET },
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
      serverOffsetMs: SERVER_OFFSET_MS,
      accessId: HMAC_ACCESS_ID,
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
