// The @skewguard/aws-s3 README's "Use" block, as written, run from the fresh project that
// installed the packed packages (argv[2]) against a testkit S3 server whose clock is 20 minutes
// ahead. Only the environment points the README's `new S3Client({ region })` at the server
// (`AWS_ENDPOINT_URL_S3` and the key pair, as for any S3-compatible store). Then, after the
// README's code: the presigned URL is fetched, the server's clock steps 20 more minutes (as an
// NTP step would), and one PutObject goes through the README's client. Prints what the server
// counted; throws if anything a user would notice is wrong.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const MINUTE = 60_000;
const server = await startS3TestServer({ clockOffsetMs: 20 * MINUTE, region: "eu-west-1" });
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];
server.objects.set("photos/cat.jpg", Buffer.from("not really a cat"));
// The presigned GET is answered on the server's clock, then the clock steps.
server.stepClockAfter({ operation: "GetObject", count: 1, byMs: 20 * MINUTE });

const userCode = readmeProgram("readme-s3-snippet.mjs", {
  prelude: `
const Bucket = "photos";
const Key = "cat.jpg";
`,
  epilogue: `
const $presigned = await fetch(url);
const $body = await $presigned.text();
const { PutObjectCommand: $Put } = await import("@aws-sdk/client-s3");
const $put = await s3.send(new $Put({ Bucket, Key: "after-the-step.txt", Body: "hello" }));
console.log(JSON.stringify({
  presignedStatus: $presigned.status,
  body: $body,
  signedAt: new URL(url).searchParams.get("X-Amz-Date"),
  expiresIn: new URL(url).searchParams.get("X-Amz-Expires"),
  putAttempts: $put.$metadata.attempts,
  events: $run.events,
}));
`,
});

/** `20261123T100000Z` → ms. */
function parseAmzDate(text) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? "");
  return m ? Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]) : Number.NaN;
}

try {
  const serverBefore = server.now();
  const out = await runUserCode(project, "readme-s3.mjs", userCode, {
    AWS_ENDPOINT_URL_S3: server.url,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
  });
  const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
  const signedAtMs = parseAmzDate(out.signedAt);
  // Bracketed on the server's clock before the step: a slow machine must not look like a
  // wrong clock. X-Amz-Date is whole seconds.
  const onServerClock =
    signedAtMs >= serverBefore - 1_000 && signedAtMs <= server.now() - 20 * MINUTE;
  expectAll("s3 snippet", {
    [`the probe, the presigned GET, then PutObject refused once and resent (got ${requests})`]:
      requests === "HEAD 403, GET 200, PUT 403, PUT 200",
    [`the presigned URL reads the object (got ${out.presignedStatus})`]:
      out.presignedStatus === 200 && out.body === "not really a cat",
    [`the URL is signed on the server's clock (${out.signedAt}, server from ${new Date(serverBefore).toISOString()})`]:
      onServerClock,
    [`the URL asks for 900 s (got ${out.expiresIn})`]: out.expiresIn === "900",
    [`PutObject took 1 SDK attempt (got ${out.putAttempts})`]: out.putAttempts === 1,
    "recovered once": out.events.filter((type) => type === "request.recovered").length === 1,
  });
  console.log(
    `${server.attempts} requests at the server (${requests}): URL signed on the server's clock, presigned ${out.presignedStatus}, PutObject after a 20 min step resent at once; events ${out.events.join(",")}`,
  );
} finally {
  await server.close();
}
