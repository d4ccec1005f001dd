// The README's S3 snippet, run from a fresh project that installed the packed packages
// (argv[2]) against a testkit S3 server whose clock is 20 minutes ahead. Prints what the
// server counted; exits non-zero if skewguard did not recover.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";

const project = process.argv[2];
const server = await startS3TestServer({ clockOffsetMs: 20 * 60_000 });
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];

const userCode = `
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin, getSignedUrl } from "@skewguard/aws-s3";

const s3 = new S3Client({
  region: "us-east-1",
  endpoint: process.env.S3_URL,
  forcePathStyle: true,
  credentials: { accessKeyId: ${JSON.stringify(accessKeyId)}, secretAccessKey: ${JSON.stringify(secretAccessKey)} },
});
const events = [];
s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { onEvent: (e) => events.push(e.type) }));
await s3.send(new CreateBucketCommand({ Bucket: "b" }));
await s3.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "hello" }));
const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn: 900 });
const res = await fetch(url);
console.log(JSON.stringify({ presignedStatus: res.status, body: await res.text(), events }));
`;
writeFileSync(join(project, "readme-s3.mjs"), userCode);
try {
  // Asynchronous: the server runs in this process and must keep answering meanwhile.
  const { stdout } = await promisify(execFile)("node", ["readme-s3.mjs"], {
    cwd: project,
    env: { ...process.env, S3_URL: server.url },
    encoding: "utf8",
  });
  const out = JSON.parse(stdout);
  const ok =
    out.presignedStatus === 200 && out.body === "hello" && out.events.includes("request.recovered");
  console.log(
    `${server.attempts} attempts for 3 calls + 1 presigned GET, presigned ${out.presignedStatus}, events ${out.events.join(",")}`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await server.close();
}
