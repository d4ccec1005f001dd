import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { getSignedUrl, getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import {
  DEFAULT_CREDENTIALS,
  type S3TestServer,
  type SkewErrorStyle,
  startS3TestServer,
} from "@skewguard/testkit";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "aws-client-s3-latest";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The Node 22 leg for S3: the newest `@aws-sdk/client-s3` (an npm alias installed in
 * test/node22) with the plugin, in the core scenarios, counted at the testkit's S3 server.
 */

const MINUTE = 60_000;
const ACCESS_KEY_ID = "AKIDEXAMPLE";

/** The version npm installed under an alias in test/node22/node_modules. */
function installedVersion(alias: string): string {
  const file = new URL(`./node_modules/${alias}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

const servers: S3TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(clockOffsetMs: number, errorStyle?: SkewErrorStyle): Promise<S3TestServer> {
  const started = await startS3TestServer({
    clockOffsetMs,
    idleTimeoutMs: 30_000,
    ...(errorStyle ? { errorStyle } : {}),
  });
  started.objects.set("b/seed", Buffer.from("seed bytes"));
  servers.push(started);
  return started;
}

function client(s: S3TestServer, wrapped = true) {
  const events: SkewguardEvent[] = [];
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: s.url,
    forcePathStyle: true,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: DEFAULT_CREDENTIALS[ACCESS_KEY_ID] as string,
    },
  });
  if (wrapped) {
    s3.middlewareStack.use(
      getSkewRecoveryPlugin(s3.config, {
        offsets: new OffsetStore(),
        onEvent: (event) => events.push(event),
      }),
    );
  }
  return { s3, events };
}

async function counted<T>(s: S3TestServer, fn: () => Promise<T>) {
  const before = s.attempts;
  const logStart = s.log.length;
  const result = await fn().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const answers = s.log.slice(logStart);
  return { ...result, attempts: s.attempts - before, answers };
}

type Meta = { $metadata: { attempts?: number; totalRetryDelay?: number } };
const OPERATIONS: Array<[string, (s3: S3Client, i: number) => Promise<Meta>]> = [
  [
    "PutObject",
    (s3, i) =>
      s3.send(new PutObjectCommand({ Bucket: "b", Key: `p${i}`, Body: Buffer.from(`put ${i}`) })),
  ],
  ["GetObject", (s3) => s3.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }))],
  ["HeadObject", (s3) => s3.send(new HeadObjectCommand({ Bucket: "b", Key: "seed" }))],
  ["ListObjectsV2", (s3) => s3.send(new ListObjectsV2Command({ Bucket: "b" }))],
];

describe("Node 22, the newest @aws-sdk/client-s3 with the plugin", () => {
  it("runs on Node 22 with @aws-sdk/client-s3 3.1173", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(installedVersion("aws-client-s3-latest")).toBe("3.1173.0");
  });

  for (const offset of [20 * MINUTE, -20 * MINUTE]) {
    for (const style of ["RequestTimeTooSkewed", "SignatureDoesNotMatch"] as const) {
      it(`server ${offset / MINUTE} min, ${style}: each operation 2 attempts, then 1`, async () => {
        for (const [name, op] of OPERATIONS) {
          const s = await server(offset, style);
          const { s3, events } = client(s);
          const first = await counted(s, () => op(s3, 1));
          expect([name, first.ok, first.attempts]).toEqual([name, true, 2]);
          // Resent inside one SDK attempt: no retry token, no backoff.
          expect(first.ok && first.value.$metadata).toMatchObject({
            attempts: 1,
            totalRetryDelay: 0,
          });
          const second = await counted(s, () => op(s3, 2));
          expect([name, second.ok, second.attempts]).toEqual([name, true, 1]);
          expect(events.map((e) => e.type)).toEqual(
            expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
          );
          s3.destroy();
        }
        const s = servers.at(-4);
        expect(s?.objects.get("b/p1")?.toString()).toBe("put 1");
      });
    }
  }

  it("once learned at +20 min, a 404 costs 1 attempt; the bare newest SDK retries it", async () => {
    const s = await server(20 * MINUTE);
    const ours = client(s).s3;
    const bare = client(s, false).s3;
    for (const s3 of [ours, bare])
      await s3.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
    for (let i = 0; i < 3; i++) {
      const mine = await counted(s, () =>
        ours.send(new GetObjectCommand({ Bucket: "b", Key: "missing" })),
      );
      expect(mine).toMatchObject({ ok: false, attempts: 1, error: { name: "NoSuchKey" } });
      expect(mine.ok || mine.error).not.toHaveProperty("$metadata.clockSkewCorrected");
      const theirs = await counted(s, () =>
        bare.send(new GetObjectCommand({ Bucket: "b", Key: "missing" })),
      );
      expect(theirs).toMatchObject({ ok: false, error: { name: "NoSuchKey" } });
      expect(theirs.attempts).toBeGreaterThan(1);
    }
  });

  it("a 64 KiB stream upload at +20 min: 2 attempts, identical bytes stored", async () => {
    const s = await server(20 * MINUTE);
    const { s3 } = client(s);
    const bytes = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) % 256));
    const chunks = [bytes.subarray(0, 10_000), bytes.subarray(10_000)];
    const put = await counted(s, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: "b",
          Key: "stream",
          Body: Readable.from(chunks),
          ContentLength: bytes.length,
        }),
      ),
    );
    expect(put).toMatchObject({ ok: true, attempts: 2 });
    expect(s.objects.get("b/stream")?.equals(bytes)).toBe(true);
  });

  it("200 concurrent GetObjects from a fresh client at +20 min: none fails, at most 2 each", async () => {
    const s = await server(20 * MINUTE);
    const { s3 } = client(s);
    const run = await counted(s, () =>
      Promise.allSettled(
        Array.from({ length: 200 }, () =>
          s3
            .send(new GetObjectCommand({ Bucket: "b", Key: "seed" }))
            .then((out) => out.Body?.transformToString()),
        ),
      ),
    );
    const results = run.ok ? run.value : [];
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(0);
    expect(run.attempts).toBeLessThanOrEqual(400);
  });

  it("getSignedUrl on the newest client, before and after learning at +20 min: 200", async () => {
    const s = await server(20 * MINUTE);
    const { s3 } = client(s);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "b", Key: "seed" }), {
      expiresIn: 900,
    });
    expect(s.attempts).toBe(1); // the clock probe
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("seed bytes");
  });
});
