import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DateHeaderMode } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { MINUTE, counted, countedFailure, endpointOf, s3Client, s3Server } from "./fixtures.js";

const get = (client: S3Client) => client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));

describe("S3: wild, cached or missing Date headers do not break learning", () => {
  const faults: DateHeaderMode[] = [
    "far-future-on-errors",
    "with-age",
    "missing",
    "malformed",
    "duplicated",
  ];
  for (const dateHeader of faults) {
    it(`Date ${dateHeader}, ServerTime in the error body, server +20 min: 2 attempts, then 1`, async () => {
      const server = await s3Server({ clockOffsetMs: 20 * MINUTE, dateHeader });
      server.objects.set("b/k", Buffer.from("x"));
      const { client, offsets } = s3Client(server);
      expect((await counted(server, () => get(client))).attempts).toBe(2);
      for (let i = 0; i < 3; i++)
        expect((await counted(server, () => get(client))).attempts).toBe(1);
      expect(Math.abs(offsets.offsetMs(endpointOf(server)) - 20 * MINUTE)).toBeLessThan(2_000);
    });
  }

  it("Date 2099 on every response, clocks agreeing: 5 calls in a row, 1 attempt each", async () => {
    const server = await s3Server({ dateHeader: "far-future" });
    server.objects.set("b/k", Buffer.from("x"));
    const { client, offsets } = s3Client(server);
    for (let i = 0; i < 5; i++) expect((await counted(server, () => get(client))).attempts).toBe(1);
    expect(Math.abs(offsets.offsetMs(endpointOf(server)))).toBeLessThan(60_000);
  });

  it("Date 2099 on errors with no body evidence: not poisoned; the bare SDK is", async () => {
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      errorBody: "minimal",
      dateHeader: "far-future-on-errors",
    });
    server.objects.set("b/k", Buffer.from("x"));
    const { client } = s3Client(server);
    const bare = s3Client(server, { wrapped: false }).client;
    await get(client).catch(() => undefined);
    await get(bare).catch(() => undefined);
    server.setClockOffset(0);
    expect((await counted(server, () => get(client))).attempts).toBe(1);
    // The SDK took 2099 for the server's clock and now signs 73 years ahead.
    const poisoned = await countedFailure(server, () => get(bare));
    expect(poisoned.error).toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});
