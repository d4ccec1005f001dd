import { randomBytes } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { MINUTE, counted, s3Client, s3Server } from "./fixtures.js";

const DAY = 24 * 60 * MINUTE;
const label = (ms: number) =>
  `${ms < 0 ? "-" : "+"}${Math.abs(ms) >= DAY ? `${Math.abs(ms) / DAY} days` : `${Math.abs(ms) / MINUTE} min`}`;

/**
 * S3-compatible servers that answer a skewed request differently from S3, each run bare and
 * with skewguard: what the bare SDK completes, skewguard completes too, in no more requests.
 */
describe("S3-compatible servers that answer differently", () => {
  for (const skewMs of [20 * MINUTE, -20 * MINUTE, 2 * DAY, -2 * DAY]) {
    it(`RequestTimeTooSkewed with only a Date header, server ${label(skewMs)}: recovered`, async () => {
      const server = await s3Server({ clockOffsetMs: skewMs, errorBody: "code-only" });
      server.objects.set("b/k", Buffer.from("x"));
      const bare = s3Client(server, { wrapped: false }).client;
      const { client, events } = s3Client(server);
      const send = (c: typeof client) =>
        counted(server, () => c.send(new GetObjectCommand({ Bucket: "b", Key: "k" })));
      const bareRun = await send(bare);
      const run = await send(client);
      expect(run.result.$metadata.httpStatusCode).toBe(200);
      expect(run.attempts).toBeLessThanOrEqual(Math.max(bareRun.attempts, 2));
      // Learned: the next call takes one request.
      expect((await send(client)).attempts).toBe(1);
      expect(events.map((e) => e.type)).toContain("skew.corrected");
    });
  }

  for (const skewMs of [20 * MINUTE, 2 * DAY]) {
    it(`an early 403 that closes the connection mid-body, server ${label(skewMs)}: the retry goes on a fresh connection`, async () => {
      const server = await s3Server({ clockOffsetMs: skewMs, earlyRefusal: true });
      const bytes = randomBytes(1_500_000);
      for (const wrapped of [false, true]) {
        // Without Expect: 100-continue, the client is still sending when the refusal comes.
        const { client } = s3Client(server, { wrapped, config: { expectContinueHeader: false } });
        const key = `early-${wrapped}`;
        const start = server.log.length;
        const run = await counted(server, () =>
          client.send(new PutObjectCommand({ Bucket: "b", Key: key, Body: bytes })),
        );
        expect(run.result.$metadata.httpStatusCode).toBe(200);
        expect(run.attempts).toBe(2);
        expect(server.objects.get(`b/${key}`)?.equals(bytes)).toBe(true);
        const [refused, stored] = server.log.slice(start);
        expect(refused?.code).toBe("RequestTimeTooSkewed");
        expect(stored?.status).toBe(200);
        expect(stored?.connection).not.toBe(refused?.connection);
      }
    });
  }

  it("a HEAD refused with no body but a Date is read like any other answer with a Date", async () => {
    for (const skewMs of [-3 * MINUTE, 2 * DAY]) {
      const server = await s3Server({ clockOffsetMs: skewMs, allowedSkewMs: 2 * MINUTE });
      server.objects.set("b/k", Buffer.from("x"));
      const { client, events } = s3Client(server);
      const head = () => client.send(new HeadObjectCommand({ Bucket: "b", Key: "k" }));
      const run = await counted(server, head);
      expect(run.result.ContentLength).toBe(1);
      expect(run.attempts).toBe(2);
      expect((await counted(server, head)).attempts).toBe(1);
      expect(events.map((e) => e.type)).toContain("skew.corrected");
    }
  });

  it("a client configured with the server's offset (systemClockOffset) is signed as configured", async () => {
    for (const skewMs of [20 * MINUTE, -2 * 60 * MINUTE]) {
      const server = await s3Server({ clockOffsetMs: skewMs });
      server.objects.set("b/k", Buffer.from("x"));
      const config = { systemClockOffset: skewMs };
      const bare = s3Client(server, { wrapped: false, config }).client;
      const { client, events } = s3Client(server, { config });
      const send = (c: typeof client) =>
        counted(server, () => c.send(new GetObjectCommand({ Bucket: "b", Key: "k" })));
      expect((await send(bare)).attempts).toBe(1);
      // Nothing learned yet: skewguard signs as the SDK would, and the first request is accepted.
      expect((await send(client)).attempts).toBe(1);
      expect(events.map((e) => e.type)).not.toContain("request.resigned");
    }
  });
});
