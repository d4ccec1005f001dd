import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import {
  MINUTE,
  SECRET,
  counted,
  countedFailure,
  endpointOf,
  expectNothingSecret,
  s3Client,
  s3Server,
} from "./fixtures.js";

const SKEWS = [
  ["+20 min", 20 * MINUTE],
  ["-20 min", -20 * MINUTE],
  ["+2 h", 120 * MINUTE],
] as const;
const STYLES = ["RequestTimeTooSkewed", "SignatureDoesNotMatch"] as const;

type Metadata = { $metadata: { attempts?: number; totalRetryDelay?: number } };
type Op = (client: S3Client, i: number) => Promise<Metadata>;
const OPERATIONS: Array<[string, Op]> = [
  ["GetObject", (c) => c.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }))],
  [
    "PutObject string",
    (c, i) => c.send(new PutObjectCommand({ Bucket: "b", Key: `s${i}`, Body: `text ${i}` })),
  ],
  [
    "PutObject Buffer",
    (c, i) =>
      c.send(new PutObjectCommand({ Bucket: "b", Key: `b${i}`, Body: Buffer.from([i, 0, 255]) })),
  ],
  ["HeadObject", (c) => c.send(new HeadObjectCommand({ Bucket: "b", Key: "seed" }))],
  ["ListObjectsV2", (c) => c.send(new ListObjectsV2Command({ Bucket: "b" }))],
];

describe("S3: a skewed server clock is recovered by one immediate re-signed resend", () => {
  for (const [label, offset] of SKEWS) {
    for (const style of STYLES) {
      for (const [name, op] of OPERATIONS) {
        it(`${name}, server ${label}, ${style}: 2 attempts, then 1`, async () => {
          const server = await s3Server({ clockOffsetMs: offset, errorStyle: style });
          server.objects.set("b/seed", Buffer.from("seed bytes"));
          const said = s3Client(server);
          const first = await counted(server, () => op(said.client, 1));
          expect(first.attempts).toBe(2);
          // Inside one SDK attempt: no retry token spent, no backoff slept.
          expect(first.result.$metadata).toMatchObject({ attempts: 1, totalRetryDelay: 0 });
          const second = await counted(server, () => op(said.client, 2));
          expect(second.attempts).toBe(1);

          const types = said.events.map((e) => e.type);
          expect(types).toEqual(
            expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
          );
          const resigned = said.events.find((e) => e.type === "request.resigned");
          expect(resigned?.host).toBe(endpointOf(server));
          expect(resigned?.operation).toBe(name.split(" ")[0]);
          expect(Math.abs((resigned?.offsetMs ?? 0) - offset)).toBeLessThan(2_000);
          expectNothingSecret(said, [SECRET]);
        });
      }
    }
  }

  it("stores exactly the bytes sent after a recovered PutObject", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client } = s3Client(server);
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const put = await counted(server, () =>
      client.send(new PutObjectCommand({ Bucket: "b", Key: "bytes", Body: body })),
    );
    expect(put.attempts).toBe(2);
    expect(server.objects.get("b/bytes")?.equals(body)).toBe(true);
  });

  it("events name the operation, the request id and the host", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/seed", Buffer.from("x"));
    const { client, events } = s3Client(server);
    await client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }));
    const recovered = events.find((e) => e.type === "request.recovered");
    expect(recovered).toMatchObject({
      provider: "s3",
      operation: "GetObject",
      host: endpointOf(server),
      requestId: expect.stringMatching(/^[0-9A-F]{16}$/),
    });
  });

  // A window narrower than the skew: the SDK does not retry below 240 s (-3 min) and with 15 min
  // it would sit on the edge of S3's own window.
  for (const [label, offset] of [
    ["-3 min", -3 * MINUTE],
    ["+15 min", 15 * MINUTE],
    ["-15 min", -15 * MINUTE],
  ] as const) {
    for (const style of STYLES) {
      it(`server ${label} with a 2-minute window, ${style}: 2 attempts, then 1`, async () => {
        const server = await s3Server({
          clockOffsetMs: offset,
          allowedSkewMs: 2 * MINUTE,
          errorStyle: style,
        });
        server.objects.set("b/seed", Buffer.from("x"));
        const { client } = s3Client(server);
        const get = () => client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }));
        expect((await counted(server, get)).attempts).toBe(2);
        expect((await counted(server, get)).attempts).toBe(1);
      });
    }
  }

  it("the bare SDK fails where skewguard recovers (the bar to beat: -3 min, 2-min window)", async () => {
    const server = await s3Server({ clockOffsetMs: -3 * MINUTE, allowedSkewMs: 2 * MINUTE });
    server.objects.set("b/seed", Buffer.from("x"));
    const { client } = s3Client(server, { wrapped: false });
    const run = await countedFailure(server, () =>
      client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" })),
    );
    expect(run.error).toMatchObject({ name: "RequestTimeTooSkewed" });
    expect(run.attempts).toBe(1);
  });

  for (const [from, to] of [
    [20, 0],
    [0, 20],
    [20, -20],
  ] as const) {
    it(`a clock step after learning (server ${from} -> ${to} min): 2 attempts, then 1`, async () => {
      const server = await s3Server({ clockOffsetMs: from * MINUTE });
      server.objects.set("b/seed", Buffer.from("x"));
      const { client, offsets } = s3Client(server);
      const get = () => client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }));
      await get();
      await get();
      server.setClockOffset(to * MINUTE);
      expect((await counted(server, get)).attempts).toBe(2);
      expect((await counted(server, get)).attempts).toBe(1);
      const learned = offsets.offsetMs(endpointOf(server));
      expect(Math.abs(learned - to * MINUTE)).toBeLessThan(2_000);
    });
  }

  it("signs on the learned clock even with the SDK's own correction disabled", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/seed", Buffer.from("x"));
    const { client } = s3Client(server, { config: { disableClockSkewCorrection: true } });
    const get = () => client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }));
    expect((await counted(server, get)).attempts).toBe(2);
    expect((await counted(server, get)).attempts).toBe(1);
  });

  it("respects maxAttempts: 1 (no resend), yet learns: the next call succeeds at once", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/seed", Buffer.from("x"));
    const { client, events } = s3Client(server, { maxAttempts: 1 });
    const get = () => client.send(new GetObjectCommand({ Bucket: "b", Key: "seed" }));
    const run = await countedFailure(server, get);
    expect(run.error).toMatchObject({ name: "RequestTimeTooSkewed" });
    expect(run.attempts).toBe(1);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "recovery.skipped", reason: "resend-disabled" }),
    );
    expect((await counted(server, get)).attempts).toBe(1);
  });
});
