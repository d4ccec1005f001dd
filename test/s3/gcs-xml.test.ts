import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { MINUTE, counted, countedFailure, s3Client, s3Server } from "./fixtures.js";

describe("S3 plugin on an S3Client pointed at a GCS XML-API-like endpoint", () => {
  for (const offset of [20 * MINUTE, -20 * MINUTE]) {
    for (const errorStyle of ["RequestTimeTooSkewed", "SignatureDoesNotMatch"] as const) {
      it(`server ${offset / MINUTE} min, ${errorStyle}: first call in 2 attempts, next in 1`, async () => {
        const server = await s3Server({ clockOffsetMs: offset, flavor: "gcs", errorStyle });
        const { client, events } = s3Client(server);
        const put = await counted(server, () =>
          client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "gcs bytes" })),
        );
        expect(put.attempts).toBe(2);
        const get = await counted(server, () =>
          client.send(new GetObjectCommand({ Bucket: "b", Key: "k" })),
        );
        expect(get.attempts).toBe(1);
        expect(server.objects.get("b/k")?.toString()).toBe("gcs bytes");
        expect(events).toContainEqual(
          expect.objectContaining({ type: "request.recovered", operation: "PutObject" }),
        );
      });
    }
  }

  it("a 404 after learning costs 1 attempt", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE, flavor: "gcs" });
    const { client } = s3Client(server);
    await client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
    const missing = await countedFailure(server, () =>
      client.send(new GetObjectCommand({ Bucket: "b", Key: "missing" })),
    );
    expect(missing.error).toMatchObject({ name: "NoSuchKey" });
    expect(missing.attempts).toBe(1);
  });
});
