// s3-multipart-upload: `Upload` from @aws-sdk/lib-storage streams 20 MiB in 5 MiB parts to an
// S3 server whose clock runs 20 minutes ahead of this machine's, and jumps 40 minutes further
// (an NTP step) as the second part arrives. The same upload, first with the bare SDK, then with
// skewguard's plugin on the client. `index.mjs` runs it; so does the test suite.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const STEP_MS = 40 * 60_000;
const MiB = 1024 * 1024;
const DATA = randomBytes(20 * MiB);
const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];

// ---- What you write (the README's snippet) -------------------------------------------------

/** Streams `body` to s3://backups/<key> in 5 MiB parts, 4 at a time. */
async function uploadBackup(endpoint, key, body, onEvent) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  // The one line skewguard adds. Upload's requests (CreateMultipartUpload, each UploadPart,
  // CompleteMultipartUpload) go through the client's middleware stack, so each is signed on
  // the server's clock, and a part the clock broke is re-signed and resent at once.
  if (onEvent) s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent }));
  try {
    const upload = new Upload({
      client: s3,
      params: { Bucket: "backups", Key: key, Body: body },
      partSize: 5 * MiB,
      queueSize: 4,
    });
    return await upload.done();
  } finally {
    s3.destroy();
  }
}

// ---- The run ------------------------------------------------------------------------------

/** Uploads the same 20 MiB both ways, each on a fresh skewed server; returns a summary. */
export async function main({ print = console.log } = {}) {
  print(
    `Each run: an S3 server ${formatMinutes(SERVER_AHEAD_MS)} ahead of our clock, stepping ` +
      `${formatMinutes(STEP_MS)} further as the 2nd part arrives; 20 MiB in 5 MiB parts.\n`,
  );
  const runs = [];
  for (const mode of ["bare SDK", "with skewguard"]) {
    const server = await startS3TestServer({ clockOffsetMs: SERVER_AHEAD_MS });
    try {
      server.stepClockAfter({ operation: "UploadPart", count: 2, byMs: STEP_MS, when: "arrival" });
      const events = [];
      const onEvent = mode === "bare SDK" ? undefined : (event) => events.push(event);
      const key = "db.dump";
      const outcome = await uploadBackup(server.url, key, Readable.from([DATA]), onEvent).then(
        () => ({ ok: true }),
        (error) => ({ ok: false, error: `${error.name}: ${error.message}` }),
      );
      const log = server.log.slice();
      const perPart = {};
      for (const entry of log) {
        if (entry.partNumber !== undefined) {
          perPart[entry.partNumber] = (perPart[entry.partNumber] ?? 0) + 1;
        }
      }
      const run = {
        mode,
        ...outcome,
        requests: log.length,
        refused: log.filter((e) => e.status === 403).length,
        maxSdkAttempt: Math.max(...log.map((e) => e.sdkAttempt ?? 0)),
        perPart,
        sameBytes: outcome.ok && (await sameBytes(server, key)),
        eventTypes: events.map((event) => event.type),
      };
      runs.push(run);
      print(describeRun(run, log));
    } finally {
      await server.close();
    }
  }
  return { serverAheadMs: SERVER_AHEAD_MS, stepMs: STEP_MS, runs };
}

/** Reads the object back through the SDK and compares SHA-256 digests. */
async function sameBytes(server, key) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    systemClockOffset: server.clockOffsetMs,
  });
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: "backups", Key: key }));
    const bytes = await got.Body.transformToByteArray();
    const digest = (b) => createHash("sha256").update(b).digest("hex");
    return digest(bytes) === digest(DATA);
  } finally {
    s3.destroy();
  }
}

function describeRun(run, log) {
  const lines = [`${run.mode}:`];
  for (const e of log) {
    const part = e.partNumber === undefined ? "" : ` part ${e.partNumber}`;
    const what = e.operation === "Authenticate" ? "refused" : e.operation;
    lines.push(
      `  ${`${what}${part}`.padEnd(28)} ${e.status} ${e.code ?? ""}`.trimEnd() +
        `  (SDK attempt ${e.sdkAttempt})`,
    );
  }
  const outcome = run.ok ? `stored, bytes ${run.sameBytes ? "identical" : "DIFFER"}` : run.error;
  lines.push(
    `  -> ${outcome}; ${run.requests} requests, ${run.refused} refused, ` +
      `highest SDK attempt ${run.maxSdkAttempt} (2 = an SDK retry after its backoff)`,
  );
  if (run.eventTypes.length > 0) lines.push(`  events: ${run.eventTypes.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function formatMinutes(ms) {
  return `${ms / 60_000} min`;
}
