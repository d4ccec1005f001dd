// Run by test/runtimes/bun-deno.test.ts under Bun or Deno, with the built packages as a user
// installs them: one skewed PutObject through the plugin, then a URL from skewguard's
// presigner fetched from the server. Prints one line of JSON for the test to check.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl, getSkewRecoveryPlugin } from "@skewguard/aws-s3";

const endpoint = process.env.SKEWGUARD_SMOKE_ENDPOINT;
const events = [];
const client = new S3Client({
  region: "us-east-1",
  endpoint,
  forcePathStyle: true,
  credentials: {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  },
});
client.middlewareStack.use(
  getSkewRecoveryPlugin(client.config, { onEvent: (event) => events.push(event.type) }),
);

const put = await client.send(
  new PutObjectCommand({ Bucket: "smoke", Key: "runtime.txt", Body: "hello from a runtime" }),
);
const url = await getSignedUrl(
  client,
  new GetObjectCommand({ Bucket: "smoke", Key: "runtime.txt" }),
  {
    expiresIn: 300,
  },
);
const response = await fetch(url);
console.log(
  JSON.stringify({
    put: put.$metadata.httpStatusCode,
    presigned: response.status,
    body: await response.text(),
    events,
  }),
);
