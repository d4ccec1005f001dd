// s3-presigned-post: a browser upload form (presigned POST) made on a machine whose clock is 20
// minutes behind the S3 server's. The SDK's createPresignedPost signs the policy on the local
// clock, so a policy asked to live 10 minutes expired 10 minutes ago by the server's clock;
// skewguard's createPresignedPost (same arguments) signs it on the server's. `index.mjs` runs
// it; so does the test suite.
import { S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost as sdkCreatePresignedPost } from "@aws-sdk/s3-presigned-post";
import { createPresignedPost, getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const EXPIRES_S = 600;
const PHOTO = Buffer.from("\xff\xd8\xff\xe0 not really a jpeg", "latin1");
// biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own placeholder, not a template.
const KEY = "uploads/${filename}"; // the file's name, as the browser sends it
const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];

// ---- What you write (the README's snippet) -------------------------------------------------

/** The form a browser posts to upload one photo of at most 10 MB, for 10 minutes. */
async function uploadForm(endpoint, onEvent) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent }));
  // A drop-in for the SDK's createPresignedPost: the same arguments, the same { url, fields }.
  // With nothing learned yet about this endpoint, it reads the server's clock from one HEAD.
  const form = await createPresignedPost(s3, {
    Bucket: "photos",
    Key: KEY,
    Conditions: [["content-length-range", 0, 10_000_000]],
    Fields: { "Content-Type": "image/jpeg" },
    Expires: EXPIRES_S,
  });
  s3.destroy();
  return form;
}

// ---- The run ------------------------------------------------------------------------------

/** Makes the form both ways against one skewed server, posts each, returns a summary. */
export async function main({ print = console.log } = {}) {
  // A loopback S3 server from @skewguard/testkit that checks POST policies on its own clock.
  const server = await startS3TestServer({ clockOffsetMs: SERVER_AHEAD_MS });
  try {
    print(`S3 server at ${server.url}, its clock ${SERVER_AHEAD_MS / 60_000} min ahead of ours.`);
    print(`Each policy is asked to live ${EXPIRES_S / 60} minutes (Expires: ${EXPIRES_S}).\n`);

    const sdkClient = new S3Client({
      region: "us-east-1",
      endpoint: server.url,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    });
    const sdkForm = await sdkCreatePresignedPost(sdkClient, {
      Bucket: "photos",
      Key: KEY,
      Conditions: [["content-length-range", 0, 10_000_000]],
      Fields: { "Content-Type": "image/jpeg" },
      Expires: EXPIRES_S,
    });
    sdkClient.destroy();

    const events = [];
    const before = server.attempts;
    const ours = await uploadForm(server.url, (event) => events.push(event));
    const signingAttempts = server.attempts - before;

    const posts = [
      await postForm(server, "@aws-sdk/s3-presigned-post", sdkForm, "sdk.jpg"),
      await postForm(server, "@skewguard/aws-s3", ours, "ours.jpg"),
    ];
    for (const post of posts) print(describePost(post));
    print(`\nRequests while signing with skewguard: ${signingAttempts} (the clock probe).`);
    print(`Same fields, in the same order: ${sameFieldNames(sdkForm, ours)}`);
    return {
      serverAheadMs: SERVER_AHEAD_MS,
      signingAttempts,
      sameFieldNames: sameFieldNames(sdkForm, ours),
      posts,
      eventTypes: events.map((event) => event.type),
    };
  } finally {
    await server.close();
  }
}

/** Posts the form as a browser does: every field, then the file, last. */
async function postForm(server, signer, { url, fields }, filename) {
  const policy = JSON.parse(Buffer.from(fields.Policy, "base64").toString("utf8"));
  const remainingByServerMs = Date.parse(policy.expiration) - server.now();
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([PHOTO], { type: "image/jpeg" }), filename);
  const response = await fetch(url, { method: "POST", body: form });
  const text = await response.text();
  const record = { signer, remainingByServerMs, status: response.status };
  if (!response.ok) {
    return { ...record, code: xmlField(text, "Code"), message: xmlField(text, "Message") };
  }
  const stored = server.objects.get(`photos/uploads/${filename}`);
  return { ...record, bytesMatch: stored?.equals(PHOTO) === true };
}

const sameFieldNames = (a, b) =>
  JSON.stringify(Object.keys(a.fields)) === JSON.stringify(Object.keys(b.fields));

/** One element of a flat S3 error document: enough for a printout. */
function xmlField(xml, name) {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

function describePost({ signer, remainingByServerMs, status, code, message, bytesMatch }) {
  const left =
    remainingByServerMs < 0
      ? `expired ${formatMinutes(-remainingByServerMs)} ago by the server's clock`
      : `${formatMinutes(remainingByServerMs)} left by the server's clock`;
  const outcome = code
    ? `${status} ${code}: ${message}`
    : `${status}${bytesMatch ? " (bytes match)" : " (BYTES DIFFER)"}`;
  return `${signer.padEnd(28)} POST ${left.padEnd(42)} -> ${outcome}`;
}

function formatMinutes(ms) {
  return `${(Math.abs(ms) / 60_000).toFixed(1)} min`;
}
