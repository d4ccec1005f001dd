import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { S3TestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import {
  MINUTE,
  SECRET,
  WRONG_SECRET,
  countedFailure,
  expectNothingSecret,
  measuredOnSdk,
  s3Client,
  s3Server,
  signatureOf,
} from "./fixtures.js";

const get = (key: string) => new GetObjectCommand({ Bucket: "b", Key: key });

/** A client whose offset is learned at +20 min (one successful call behind it). */
async function learnedAt20Minutes(server: S3TestServer, wrapped: boolean): Promise<S3Client> {
  const { client } = s3Client(server, { wrapped });
  await client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
  return client;
}

/**
 * Whether the bare SDK retries a failure the clock did not cause once its offset is learned
 * (each answer's whole-second `Date` moves the offset a little and marks the error
 * `clockSkewCorrected`). Either way, skewguard's calls cost the bare SDK's minus those retries.
 */
const bareRetriesFutilely = measuredOnSdk({ "3.700.0": false, "3.1178.0": true });

/** Attempts one call cost, and how many of them were SDK retries answered by the same error. */
async function failedCall(server: S3TestServer, client: S3Client, key: string) {
  const logStart = server.log.length;
  const run = await countedFailure(server, () => client.send(get(key)));
  const answers = server.log.slice(logStart);
  const code = answers[0]?.code;
  const futileRetries = answers.filter((a) => (a.sdkAttempt ?? 1) > 1 && a.code === code).length;
  return { ...run, code, futileRetries };
}

describe("S3: failures the clock did not cause are not retried", () => {
  it("wrong secret, clocks agreeing: 1 attempt, like the bare SDK, and a diagnosis", async () => {
    const server = await s3Server({ errorStyle: "SignatureDoesNotMatch" });
    server.objects.set("b/k", Buffer.from("x"));
    const said = s3Client(server, { secret: WRONG_SECRET });
    const run = await failedCall(server, said.client, "k");
    expect(run.error).toMatchObject({ name: "SignatureDoesNotMatch" });
    expect(run.attempts).toBe(1);
    const bare = await failedCall(
      server,
      s3Client(server, { secret: WRONG_SECRET, wrapped: false }).client,
      "k",
    );
    expect(bare.attempts).toBe(1);
    expect(said.events).toContainEqual(
      expect.objectContaining({
        type: "signature.diagnosed",
        diagnosis: expect.objectContaining({ cause: "secret-key-mismatch" }),
      }),
    );
    expectNothingSecret(said, [WRONG_SECRET, SECRET, signatureOf(run.error)]);
  });

  it("wrong secret, server +20 min: at most 2 attempts first, then 1 per call, key mismatch named", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    server.objects.set("b/k", Buffer.from("x"));
    const said = s3Client(server, { secret: WRONG_SECRET });
    const first = await failedCall(server, said.client, "k");
    expect(first.attempts).toBeLessThanOrEqual(2);
    const echoed = [signatureOf(first.error)];
    for (let i = 0; i < 3; i++) {
      const later = await failedCall(server, said.client, "k");
      expect(later.error).toMatchObject({ name: "SignatureDoesNotMatch" });
      expect(later.attempts).toBe(1);
      echoed.push(signatureOf(later.error));
    }
    const causes = said.events.flatMap((e) =>
      e.type === "signature.diagnosed" ? [e.diagnosis.cause] : [],
    );
    expect(causes).toContain("secret-key-mismatch");
    expectNothingSecret(said, [WRONG_SECRET, SECRET, ...echoed]);
  });

  it("wrong secret, server +20 min: 1 attempt per later call, the bare SDK's minus its futile retries", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const ours = s3Client(server, { secret: WRONG_SECRET }).client;
    const bareClient = s3Client(server, { secret: WRONG_SECRET, wrapped: false }).client;
    await failedCall(server, ours, "k");
    await failedCall(server, bareClient, "k");
    for (let i = 0; i < 2; i++) {
      const mine = await failedCall(server, ours, "k");
      const bare = await failedCall(server, bareClient, "k");
      expect(bare.code).toBe("SignatureDoesNotMatch");
      expect(bare.futileRetries > 0).toBe(bareRetriesFutilely);
      expect(mine.attempts).toBe(bare.attempts - bare.futileRetries);
    }
  });

  for (const [label, key, name] of [
    ["a 404", "missing", "NoSuchKey"],
    ["a policy AccessDenied", "denied/secret", "AccessDenied"],
  ] as const) {
    it(`once the offset is learned at +20 min, ${label} costs 1 attempt: the bare SDK's minus its futile retries`, async () => {
      const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
      const wrapped = await learnedAt20Minutes(server, true);
      const bareClient = await learnedAt20Minutes(server, false);
      for (let i = 0; i < 3; i++) {
        const ours = await failedCall(server, wrapped, key);
        const bare = await failedCall(server, bareClient, key);
        expect(ours.error).toMatchObject({ name });
        expect(bare.error).toMatchObject({ name });
        expect(bare.futileRetries > 0).toBe(bareRetriesFutilely);
        expect(ours.attempts).toBe(1);
        expect(ours.attempts).toBe(bare.attempts - bare.futileRetries);
        expect(ours.error).not.toHaveProperty("$metadata.clockSkewCorrected");
      }
    });
  }
});
