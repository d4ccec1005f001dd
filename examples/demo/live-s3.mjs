// The S3 part of the live demo: an S3Client against the testkit's SigV4 server, 20 minutes ahead.
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { DEFAULT_CREDENTIALS, startS3TestServer } from "@skewguard/testkit";

const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];
const STAGING_SECRET = "stagingSecretKeyThatIsNotThisEnvironments0";
const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");

export const s3 = {
  title: "Amazon S3",
  sdk: "@aws-sdk/client-s3",
  wrapper: "getSkewRecoveryPlugin",
  serverOffsetMs: 20 * 60_000,
  secrets: [SECRET, STAGING_SECRET],

  start: (clockOffsetMs) => startS3TestServer({ clockOffsetMs }),
  attempts: (server) => server.attempts,

  /** An S3Client as an app makes one; with `wrap`, plus skewguard's one line. */
  connect(server, { wrap, onEvent, secret = SECRET }) {
    const client = new S3Client({
      region: "us-east-1",
      endpoint: server.url,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret },
    });
    if (wrap) client.middlewareStack.use(getSkewRecoveryPlugin(client.config, { onEvent }));
    return { client, close: () => client.destroy() };
  },

  calls: [
    {
      // A stream, as an upload of a file or a request body usually is: the SDK cannot resend it.
      call: "upload report.csv (stream)",
      run: (client) =>
        client.send(
          new PutObjectCommand({
            Bucket: "reports",
            Key: "report.csv",
            Body: Readable.from([REPORT]),
            ContentLength: REPORT.length,
          }),
        ),
    },
    {
      call: "download report.csv",
      run: async (client) => {
        const got = await client.send(
          new GetObjectCommand({ Bucket: "reports", Key: "report.csv" }),
        );
        const bytes = Buffer.from(await got.Body.transformToByteArray());
        if (!bytes.equals(REPORT)) throw new Error("the bytes read back differ");
      },
    },
    {
      // The app expects a 404 here: only its cost differs.
      call: "get missing.csv (404 expected)",
      expectedError: "NoSuchKey",
      run: (client) => client.send(new GetObjectCommand({ Bucket: "reports", Key: "missing.csv" })),
    },
  ],

  /** A failure the clock did not cause: the staging secret used against this server. */
  wrongKey: {
    call: "download with the staging secret",
    connect: (server, options) => s3.connect(server, { ...options, secret: STAGING_SECRET }),
    run: (client) => client.send(new GetObjectCommand({ Bucket: "reports", Key: "report.csv" })),
  },

  errorCode: (error) => error.Code ?? error.name,
  errorText: (error) => `${error.name}: ${error.message}`,
};
