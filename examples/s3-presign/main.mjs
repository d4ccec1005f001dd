// s3-presign: presigned URLs from a machine whose clock is 20 minutes behind the S3 server's.
// The SDK's presigner signs on the local clock, so a URL asked to live 15 minutes expired 5
// minutes ago by the server's clock; skewguard's getSignedUrl (same arguments) signs on the
// server's. `index.mjs` runs it; so does the test suite.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import { getSignedUrl, getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const EXPIRES_IN_S = 900;
const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");
const UPLOAD = Buffer.from("region,quarter,revenue\napac,q4,900\n");
const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];

// ---- What you write (the README's snippet) -------------------------------------------------

/** Presigned URLs for a download and an upload, valid 15 minutes by the server's clock. */
async function presign(endpoint, onEvent) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent }));
  // A drop-in for the SDK's getSignedUrl: the same arguments. With nothing learned yet about
  // this endpoint, the first call reads the server's clock from one HEAD request.
  const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "reports", Key: "q4.csv" }), {
    expiresIn: EXPIRES_IN_S,
  });
  const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "reports", Key: "up.csv" }), {
    expiresIn: EXPIRES_IN_S,
  });
  s3.destroy();
  return { get, put };
}

// ---- The run ------------------------------------------------------------------------------

/** Signs URLs both ways against one skewed server, fetches them, returns a summary. */
export async function main({ print = console.log } = {}) {
  // A loopback S3 server from @skewguard/testkit that checks URLs' time windows on its clock.
  const server = await startS3TestServer({ clockOffsetMs: SERVER_AHEAD_MS });
  try {
    server.objects.set("reports/q4.csv", REPORT);
    print(`S3 server at ${server.url}, its clock ${formatMinutes(SERVER_AHEAD_MS)} ahead of ours.`);
    print(`Each URL is asked to live ${EXPIRES_IN_S / 60} minutes (expiresIn: ${EXPIRES_IN_S}).\n`);

    const sdkClient = new S3Client({
      region: "us-east-1",
      endpoint: server.url,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    });
    const sdkGet = await sdkGetSignedUrl(
      sdkClient,
      new GetObjectCommand({ Bucket: "reports", Key: "q4.csv" }),
      { expiresIn: EXPIRES_IN_S },
    );
    sdkClient.destroy();

    const events = [];
    const before = server.attempts;
    const ours = await presign(server.url, (event) => events.push(event));
    const signingAttempts = server.attempts - before;

    const urls = [
      await fetchUrl(server, "@aws-sdk/s3-request-presigner", "GET", sdkGet),
      await fetchUrl(server, "@skewguard/aws-s3", "GET", ours.get),
      await fetchUrl(server, "@skewguard/aws-s3", "PUT", ours.put),
    ];
    for (const url of urls) print(describeUrl(url));
    print(`\nRequests while signing with skewguard: ${signingAttempts} (the clock probe).`);
    print("Events:");
    for (const event of events) print(`  ${describeEvent(event)}`);
    return {
      serverAheadMs: SERVER_AHEAD_MS,
      signingAttempts,
      urls,
      eventTypes: events.map((event) => event.type),
    };
  } finally {
    await server.close();
  }
}

/** Fetches a URL as a browser or `curl` would, and notes what the server said. */
async function fetchUrl(server, signer, method, url) {
  const signedAtMs = amzDate(new URL(url).searchParams.get("X-Amz-Date"));
  const expires = Number(new URL(url).searchParams.get("X-Amz-Expires"));
  const remainingByServerMs = signedAtMs + expires * 1000 - server.now();
  const response = await fetch(url, method === "PUT" ? { method, body: UPLOAD } : { method });
  const body = Buffer.from(await response.arrayBuffer());
  const record = { signer, method, signedAtMs, remainingByServerMs, status: response.status };
  if (!response.ok) {
    const text = body.toString("utf8");
    return { ...record, code: xmlField(text, "Code"), message: xmlField(text, "Message") };
  }
  const bytesMatch =
    method === "GET" ? body.equals(REPORT) : server.objects.get("reports/up.csv")?.equals(UPLOAD);
  return { ...record, bytesMatch: bytesMatch === true };
}

/** `20261123T104200Z` -> ms. */
function amzDate(text) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? "");
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

/** One element of a flat S3 error document: enough for a printout. */
function xmlField(xml, name) {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

function describeUrl({ signer, method, remainingByServerMs, status, code, message, bytesMatch }) {
  const left =
    remainingByServerMs < 0
      ? `expired ${formatMinutes(-remainingByServerMs)} ago by the server's clock`
      : `${formatMinutes(remainingByServerMs)} left by the server's clock`;
  const outcome = code
    ? `${status} ${code}: ${message}`
    : `${status}${bytesMatch ? " (bytes match)" : " (BYTES DIFFER)"}`;
  return `${signer.padEnd(30)} ${method.padEnd(4)} ${left.padEnd(42)} -> ${outcome}`;
}

function describeEvent(event) {
  const offset = event.offsetMs === undefined ? "" : ` offset ${formatMinutes(event.offsetMs)}`;
  return `${event.type.padEnd(18)} ${event.operation ?? ""}${offset}`;
}

function formatMinutes(ms) {
  const sign = ms < 0 ? "-" : "";
  return `${sign}${(Math.abs(ms) / 60_000).toFixed(1)} min`;
}
