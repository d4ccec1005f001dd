import { GetObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { MINUTE, endpointOf, s3Client, s3Server } from "./fixtures.js";

describe("S3: concurrent first requests from a fresh client at +20 min", () => {
  for (const n of [50, 100, 200]) {
    it(`${n} GetObjects: none fails, at most 2 attempts each`, async () => {
      const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
      server.objects.set("b/k", Buffer.from("burst"));
      const { client, offsets } = s3Client(server);
      // Bodies are read, as real callers do: an unread body holds its socket.
      const getText = async () => {
        const got = await client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
        return got.Body!.transformToString();
      };
      const results = await Promise.allSettled(Array.from({ length: n }, getText));
      expect(results.filter((r) => r.status === "rejected")).toHaveLength(0);
      expect(results.every((r) => r.status === "fulfilled" && r.value === "burst")).toBe(true);
      expect(server.attempts).toBeLessThanOrEqual(2 * n);
      expect(server.attemptsBy({ operation: "GetObject" })).toBe(n);
      expect(Math.abs(offsets.offsetMs(endpointOf(server)) - 20 * MINUTE)).toBeLessThan(1_000);
    });
  }

  it("200 GetObjects with Date 2099 on every error: the SDK's rewrites reach no other request", async () => {
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      dateHeader: "far-future-on-errors",
    });
    server.objects.set("b/k", Buffer.from("burst"));
    const { client } = s3Client(server);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, async () => {
        const got = await client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
        return got.Body!.transformToString();
      }),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(0);
    expect(server.attempts).toBeLessThanOrEqual(400);
  });
});
