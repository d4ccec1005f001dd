import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost as sdkCreatePresignedPost } from "@aws-sdk/s3-presigned-post";
import { createPresignedPost } from "@skewguard/aws-s3";
import type { S3TestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { MINUTE, s3Client, s3Server } from "../s3/fixtures.js";

// biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own placeholder, not a template.
const BY_FILENAME = "photos/${filename}";
const SKEWS = [20 * MINUTE, -20 * MINUTE, 120 * MINUTE];
const EXPIRES_S = 600;
const params = (key = "uploads/photo.jpg") => ({
  Bucket: "b",
  Key: key,
  Conditions: [["content-length-range", 0, 1_000_000] as ["content-length-range", number, number]],
  Fields: { "Content-Type": "image/jpeg" },
  Expires: EXPIRES_S,
});

/** A browser's form upload: every field, then the file, last. */
async function post(url: string, fields: Record<string, string>, content = "jpeg bytes") {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([content]), "photo.jpg");
  const response = await fetch(url, { method: "POST", body: form });
  return { status: response.status, text: await response.text() };
}

/** The policy's `expiration`, in ms. */
const expirationOf = (fields: Record<string, string>) =>
  Date.parse(
    (JSON.parse(Buffer.from(fields.Policy ?? "", "base64").toString()) as { expiration: string })
      .expiration,
  );

/** `20261204T102501Z` -> ms. */
function amzDate(text: string | undefined): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? "");
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/** The SDK's createPresignedPost, typed with its own copy of the client. */
const sdkPost = (client: S3Client, key?: string) =>
  sdkCreatePresignedPost(client as never, params(key));

function expectSignedOnServerClock(server: S3TestServer, fields: Record<string, string>) {
  const signedAt = amzDate(fields["X-Amz-Date"]);
  expect(Math.abs(signedAt - server.now())).toBeLessThan(5_000);
  expect(Math.abs(expirationOf(fields) - (signedAt + EXPIRES_S * 1000))).toBeLessThan(1_000);
  const scopeDate = fields["X-Amz-Credential"]?.split("/")[1];
  expect(scopeDate).toBe(fields["X-Amz-Date"]?.slice(0, 8));
}

describe("S3: createPresignedPost signs the policy on the server's clock", () => {
  for (const offset of SKEWS) {
    it(`fresh clients at ${offset / MINUTE} min: the SDK's policy beside skewguard's`, async () => {
      const server = await s3Server({ clockOffsetMs: offset });
      const bare = s3Client(server, { wrapped: false }).client;
      const { client } = s3Client(server);

      const sdk = await sdkPost(bare, "uploads/sdk.jpg");
      const before = server.attempts;
      const ours = await createPresignedPost(client, params("uploads/ours.jpg"));
      // Nothing was learned: one probe read the server's clock.
      expect(server.attempts - before).toBe(1);
      expect(client.config.systemClockOffset ?? 0).toBe(0);

      // Same shape and field order as the SDK's.
      expect(Object.keys(ours.fields)).toEqual(Object.keys(sdk.fields));
      expect(ours.url).toBe(sdk.url);
      expectSignedOnServerClock(server, ours.fields);

      const sdkAnswer = await post(sdk.url, sdk.fields);
      const oursAnswer = await post(ours.url, ours.fields);
      expect(oursAnswer.status).toBe(204);
      expect(server.objects.get("b/uploads/ours.jpg")?.toString()).toBe("jpeg bytes");
      // The SDK's policy was signed on the local clock.
      const sdkLeftByServerMs = expirationOf(sdk.fields) - server.now();
      if (offset > EXPIRES_S * 1000) {
        expect(sdkAnswer.status).toBe(403);
        expect(sdkAnswer.text).toContain("Policy expired");
      } else {
        // A server behind the client accepts the SDK's policy, which lives 20 minutes longer
        // than asked by the server's clock.
        expect(sdkAnswer.status).toBe(204);
        expect(sdkLeftByServerMs).toBeGreaterThan(EXPIRES_S * 1000 + 19 * MINUTE);
      }
      const oursLeftByServerMs = expirationOf(ours.fields) - server.now();
      expect(Math.abs(oursLeftByServerMs - EXPIRES_S * 1000)).toBeLessThan(5_000);
    });

    it(`after learning at ${offset / MINUTE} min: no probe, and the POST answers 204`, async () => {
      const server = await s3Server({ clockOffsetMs: offset });
      const { client } = s3Client(server);
      await client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
      const before = server.attempts;
      const ours = await createPresignedPost(client, params());
      expect(server.attempts).toBe(before);
      expectSignedOnServerClock(server, ours.fields);
      expect((await post(ours.url, ours.fields)).status).toBe(204);
    });
  }

  it("a policy asked for 600 s lives 600 s by the server's clock, and no longer", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client } = s3Client(server);
    const { url, fields } = await createPresignedPost(client, params());
    server.setClockOffset(20 * MINUTE + (EXPIRES_S - 10) * 1000);
    expect((await post(url, fields)).status).toBe(204);
    server.setClockOffset(20 * MINUTE + (EXPIRES_S + 10) * 1000);
    const late = await post(url, fields);
    expect(late.status).toBe(403);
    expect(late.text).toContain("Policy expired");
  });

  it("works for a client without the plugin, on the process-wide store, without changing it", async () => {
    const server = await s3Server({ clockOffsetMs: 120 * MINUTE });
    const { client } = s3Client(server, { wrapped: false });
    const configBefore = { ...client.config };
    const { url, fields } = await createPresignedPost(client, params());
    expect(server.attempts).toBe(1);
    expect({ ...client.config }).toEqual(configBefore);
    expect((await post(url, fields)).status).toBe(204);
  });

  it("with probe: false and nothing learned, the policy is the SDK's own (local clock)", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client } = s3Client(server);
    const ours = await createPresignedPost(client, params(), { probe: false });
    expect(server.attempts).toBe(0);
    expect(Math.abs(amzDate(ours.fields["X-Amz-Date"]) - Date.now())).toBeLessThan(5_000);
  });

  it("keeps the SDK's conditions: keys ending in the filename placeholder, content-length-range", async () => {
    const server = await s3Server({ clockOffsetMs: -20 * MINUTE });
    const { client } = s3Client(server);
    const { url, fields } = await createPresignedPost(client, {
      ...params(BY_FILENAME),
      Conditions: [["content-length-range", 0, 4]],
    });
    const tooBig = await post(url, fields, "more than four bytes");
    expect(tooBig.status).toBe(400);
    expect(tooBig.text).toContain("EntityTooLarge");
    expect((await post(url, fields, "tiny")).status).toBe(204);
    expect(server.objects.get("b/photos/photo.jpg")?.toString()).toBe("tiny");
  });
});
