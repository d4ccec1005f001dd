import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkGetSignedUrl } from "@aws-sdk/s3-request-presigner";
import { getSignedUrl } from "@skewguard/aws-s3";
import { describe, expect, it } from "vitest";
import { MINUTE, s3Client, s3Server } from "./fixtures.js";

const SKEWS = [20 * MINUTE, -20 * MINUTE, 120 * MINUTE];
const getK = () => new GetObjectCommand({ Bucket: "b", Key: "k" });

describe("S3: getSignedUrl signs on the server's clock", () => {
  for (const offset of SKEWS) {
    it(`after learning at ${offset / MINUTE} min: presigned GET and PUT answer 200`, async () => {
      const server = await s3Server({ clockOffsetMs: offset });
      const { client } = s3Client(server);
      await client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "hello" }));
      const before = server.attempts;
      const getUrl = await getSignedUrl(client, getK(), { expiresIn: 900 });
      const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: "b", Key: "p" }), {
        expiresIn: 900,
      });
      // Learned already: no probe.
      expect(server.attempts).toBe(before);
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe("hello");
      const put = await fetch(putUrl, { method: "PUT", body: "put via url" });
      expect(put.status).toBe(200);
      expect(server.objects.get("b/p")?.toString()).toBe("put via url");
    });

    it(`before anything was learned at ${offset / MINUTE} min: one probe, then a valid URL`, async () => {
      const server = await s3Server({ clockOffsetMs: offset });
      server.objects.set("b/k", Buffer.from("hello"));
      const { client } = s3Client(server);
      const urls = await Promise.all([1, 2, 3].map(() => getSignedUrl(client, getK())));
      expect(server.attempts).toBe(1);
      for (const url of urls) expect((await fetch(url)).status).toBe(200);
    });
  }

  it("a client 20 min behind gets a URL the server accepts for its full expiresIn, and no longer", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/k", Buffer.from("hello"));
    const { client } = s3Client(server);
    const url = await getSignedUrl(client, getK(), { expiresIn: 900 });
    expect((await fetch(url)).status).toBe(200);
    server.setClockOffset(20 * MINUTE + 890_000);
    expect((await fetch(url)).status).toBe(200);
    server.setClockOffset(20 * MINUTE + 910_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");
  });

  it("works for a client without the plugin, on the process-wide offset store", async () => {
    const server = await s3Server({ clockOffsetMs: -20 * MINUTE });
    server.objects.set("b/k", Buffer.from("hello"));
    const { client } = s3Client(server, { wrapped: false });
    const url = await getSignedUrl(client, getK(), { expiresIn: 900 });
    expect(server.attempts).toBe(1);
    expect((await fetch(url)).status).toBe(200);
  });

  it("a signingDate is read on the local clock and signed on the server's", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/k", Buffer.from("hello"));
    const { client } = s3Client(server);
    const url = await getSignedUrl(client, getK(), { signingDate: new Date(), expiresIn: 60 });
    expect((await fetch(url)).status).toBe(200);
  });

  it("the SDK's own presigner on a client 20 min behind makes an expired URL (the bar to beat)", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/k", Buffer.from("hello"));
    const { client } = s3Client(server, { wrapped: false });
    await client.send(getK());
    const url = await sdkGetSignedUrl(client, getK(), { expiresIn: 900 });
    const answer = await fetch(url);
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain("Request has expired");
  });
});
