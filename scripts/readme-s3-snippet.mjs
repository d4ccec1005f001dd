// The README's S3 snippet, run from a fresh project that installed the packed packages
// (argv[2]) against a testkit S3 server whose clock is 20 minutes ahead. Prints what the
// server counted; throws if skewguard did not recover.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import { expectAll, runUserCode } from "./readme-snippet-support.mjs";

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
try {
  const out = await runUserCode(project, "readme-s3.mjs", userCode, { S3_URL: server.url });
  const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
  expectAll("s3 snippet", {
    [`CreateBucket refused once and resent, then PutObject and the presigned GET (got ${requests})`]:
      requests === "PUT 403, PUT 200, PUT 200, GET 200",
    [`the presigned URL reads the object (got ${out.presignedStatus})`]:
      out.presignedStatus === 200 && out.body === "hello",
    "recovered once": out.events.filter((type) => type === "request.recovered").length === 1,
  });
  console.log(
    `${server.attempts} attempts at the server for 2 calls + 1 presigned GET (${requests}), presigned ${out.presignedStatus}, events ${out.events.join(",")}`,
  );
} finally {
  await server.close();
}
