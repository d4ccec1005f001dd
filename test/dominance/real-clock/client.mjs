// A client whose process clock is really off (run under libfaketime by real-clock.test.ts):
// 16 calls one after another, then 16 at once from a fresh client, with the bare SDK or with
// skewguard; one JSON line on stdout.
//
//   LD_PRELOAD=.../libfaketime.so.1 FAKETIME=-2d FAKETIME_DONT_FAKE_MONOTONIC=1 \
//     node client.mjs http://127.0.0.1:PORT SECRET bare|wrapped
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";

const [endpoint, secretAccessKey, sideName] = process.argv.slice(2);
const BUCKET = "b";

/** The calls each side makes: one after another, then as many at once from a fresh client. */
const ROUNDS = 4;
const operations = [
  (client, side, i) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${side}/${i}`, Body: `body ${i}` })),
  async (client) => {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "object" }));
    await out.Body?.transformToByteArray();
  },
  (client) => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "object" })),
  (client) => client.send(new ListObjectsV2Command({ Bucket: BUCKET })),
];

function client(wrapped, events) {
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey },
  });
  if (wrapped) {
    s3.middlewareStack.use(
      getSkewRecoveryPlugin(s3.config, { onEvent: (event) => events.push(event.type) }),
    );
  }
  return s3;
}

async function call(fn) {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error?.name ?? String(error) };
  }
}

async function side(wrapped) {
  const name = wrapped ? "wrapped" : "bare";
  const events = [];
  const sequential = client(wrapped, events);
  const calls = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, op] of operations.entries()) {
      calls.push(await call(() => op(sequential, name, round * operations.length + k)));
    }
  }
  // A fresh client, every call at once: each learns the clock from its own first failure.
  const concurrent = client(wrapped, events);
  const together = await Promise.all(
    Array.from({ length: ROUNDS * operations.length }, (_, i) =>
      call(() => operations[i % operations.length](concurrent, `${name}-c`, i)),
    ),
  );
  sequential.destroy();
  concurrent.destroy();
  return { side: name, localNow: Date.now(), sequential: calls, concurrent: together, events };
}

console.log(JSON.stringify(await side(sideName === "wrapped")));
