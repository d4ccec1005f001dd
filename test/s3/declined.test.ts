import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import type { S3TestServer } from "@skewguard/testkit";
import { StandardRetryStrategy } from "@smithy/core/retry";
import { describe, expect, it } from "vitest";
import { MINUTE, counted, countedFailure, endpointOf, s3Client, s3Server } from "./fixtures.js";

const DAY = 24 * 60 * MINUTE;

const get = (client: S3Client) =>
  client.send(new GetObjectCommand({ Bucket: "b", Key: "k" })).then(async (out) => {
    await out.Body?.transformToByteArray();
    return out;
  });

/** The signing times the server saw for the last `n` requests, as offsets from now. */
function signedOffsets(server: S3TestServer, n: number): number[] {
  return server.log.slice(-n).map((entry) => {
    const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(entry.signedAt ?? "");
    const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
    return t - Date.now();
  });
}

const skips = (events: SkewguardEvent[]) =>
  events.flatMap((e) => (e.type === "recovery.skipped" ? [e] : []));

describe("S3: what skewguard declines stays the SDK's, exactly as without it", () => {
  it("a server 2 days ahead: declined and said why; the SDK's own retry, on its own offset, completes the call", async () => {
    const server = await s3Server({ clockOffsetMs: 2 * DAY });
    server.objects.set("b/k", Buffer.from("x"));
    const { client, events, offsets } = s3Client(server);
    const first = await counted(server, () => get(client));
    expect(first.attempts).toBe(2);
    expect(first.result.$metadata.attempts).toBe(2); // the SDK's retry, not a skewguard resend
    const [refused, retried] = server.log.slice(-2);
    expect(refused).toMatchObject({ code: "RequestTimeTooSkewed", sdkAttempt: 1 });
    expect(retried).toMatchObject({ status: 200, sdkAttempt: 2 });
    const [at0, atSdk] = signedOffsets(server, 2);
    expect(Math.abs(at0 ?? Number.NaN)).toBeLessThan(2_000);
    expect(Math.abs((atSdk ?? Number.NaN) - 2 * DAY)).toBeLessThan(2_000);
    // Why, and what next: the bound, the missing confirmation, the SDK's own clock.
    expect(skips(events)[0]).toMatchObject({ reason: "evidence-untrusted" });
    expect(skips(events)[0]?.why).toMatch(
      /\+(2d 0h|1d 23h) off the local clock, beyond the 24 h one answer may correct.*signed on the SDK's own clock, exactly as without skewguard/,
    );
    const diagnosis = events.find((e) => e.type === "signature.diagnosed");
    expect(JSON.stringify(diagnosis)).not.toMatch(/skewguard signs on the server's clock/);
    // The server accepted a request signed on it: skewguard signs with it from now on.
    expect(Math.abs(offsets.offsetMs(endpointOf(server)) - 2 * DAY)).toBeLessThan(2_000);
    expect(events.map((e) => e.type)).toContain("skew.corrected");
    expect((await counted(server, () => get(client))).attempts).toBe(1);
    // The SDK's own offset is its own, as without skewguard.
    expect(Math.abs((client.config.systemClockOffset ?? 0) - 2 * DAY)).toBeLessThan(2_000);
  });

  it("maxAttempts 1, 2 days: the first call fails as it does bare; the next, on the SDK's clock, completes as bare", async () => {
    const server = await s3Server({ clockOffsetMs: -2 * DAY });
    server.objects.set("b/k", Buffer.from("x"));
    for (const wrapped of [false, true]) {
      const { client } = s3Client(server, { wrapped, maxAttempts: 1 });
      const first = await countedFailure(server, () => get(client));
      expect(first.error).toMatchObject({ name: "RequestTimeTooSkewed" });
      expect(first.attempts).toBe(1);
      expect((await counted(server, () => get(client))).attempts).toBe(1);
      expect((await counted(server, () => get(client))).attempts).toBe(1);
    }
  });

  it("new StandardRetryStrategy(1): one request, as bare, and the skip says a single attempt was asked for", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    for (const wrapped of [false, true]) {
      const { client, events } = s3Client(server, {
        wrapped,
        config: { retryStrategy: new StandardRetryStrategy(1) },
      });
      const put = () => client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "x" }));
      const run = await countedFailure(server, put);
      expect(run.attempts).toBe(1);
      if (wrapped) expect(skips(events)[0]).toMatchObject({ reason: "resend-disabled" });
      // Learned either way: the next call goes through at once.
      expect((await counted(server, put)).attempts).toBe(1);
    }
  });

  it("a declined failure keeps the SDK's clockSkewCorrected flag; a handled one loses it", async () => {
    const server = await s3Server({ clockOffsetMs: 2 * DAY, errorBody: "code-only" });
    const { client } = s3Client(server, { maxAttempts: 1 });
    const declined = await countedFailure(server, () => get(client));
    expect(declined.error).toMatchObject({ $metadata: { clockSkewCorrected: true } });
    // Learned (the SDK's next request was accepted): a 404 is handled, no futile retry.
    server.objects.set("b/k", Buffer.from("x"));
    await get(client);
    const { client: three } = s3Client(server, { maxAttempts: 3 });
    await get(three).catch(() => undefined);
    const missing = await countedFailure(server, () =>
      three.send(new GetObjectCommand({ Bucket: "b", Key: "missing" })),
    );
    expect(missing.attempts).toBe(1);
    expect((missing.error as { $metadata: object }).$metadata).not.toHaveProperty(
      "clockSkewCorrected",
    );
  });
});
