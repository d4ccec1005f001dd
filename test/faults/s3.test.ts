import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { type Clock, OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import {
  DEFAULT_CREDENTIALS,
  type S3TestServer,
  S3_HUGE_ERROR_BODY_BYTES,
} from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { ACCESS_KEY_ID, MINUTE, s3Server } from "../s3/fixtures.js";
import { until } from "../until.js";

/**
 * The S3 fault suite: servers that lie, stall, cut answers short or never agree, counted at
 * the server. Whatever happens: no crash, no hang, a bounded number of requests per call,
 * stored bytes equal to the bytes sent, and a clear error or a `recovery.skipped` event.
 */

const HOUR = 60 * MINUTE;
/** skewguard's documented cap on a correction from a plausible local clock. */
const MAX_CORRECTION_MS = 24 * HOUR;

interface FaultClientOptions {
  /** `false`: the bare SDK. */
  wrapped?: boolean;
  clock?: Clock;
  config?: S3ClientConfig;
}

function faultClient(server: S3TestServer, options: FaultClientOptions = {}) {
  const events: SkewguardEvent[] = [];
  const offsets = new OffsetStore();
  const client = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: DEFAULT_CREDENTIALS[ACCESS_KEY_ID] as string,
    },
    ...options.config,
  });
  if (options.wrapped === false) return { client, events, offsets };
  client.middlewareStack.use(
    getSkewRecoveryPlugin(client.config, {
      offsets,
      onEvent: (event) => events.push(event),
      ...(options.clock ? { clock: options.clock } : {}),
    }),
  );
  return { client, events, offsets };
}

const get = (client: S3Client, key = "k") =>
  client.send(new GetObjectCommand({ Bucket: "b", Key: key })).then(async (out) => {
    await out.Body?.transformToByteArray();
    return out;
  });
const put = (client: S3Client, key: string, body: Buffer) =>
  client.send(new PutObjectCommand({ Bucket: "b", Key: key, Body: body }));
/** A stream upload, with its length declared as the SDK needs for a stream. */
const putStream = (client: S3Client, key: string, bytes: Buffer) =>
  client.send(
    new PutObjectCommand({
      Bucket: "b",
      Key: key,
      Body: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
      ContentLength: bytes.length,
    }),
  );

interface CallRecord {
  ok: boolean;
  error?: { name?: string; $metadata?: { httpStatusCode?: number } };
  /** Requests the server received for the call. */
  attempts: number;
  /** The largest number of requests the server saw within one SDK attempt. */
  perSdkAttempt: number;
}

/** Runs one call; never throws; counts what reached the server. */
async function call(server: S3TestServer, fn: () => Promise<unknown>): Promise<CallRecord> {
  const before = server.attempts;
  const logStart = server.log.length;
  const outcome = await fn().then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error: error as NonNullable<CallRecord["error"]> }),
  );
  const perAttempt = new Map<number, number>();
  for (const entry of server.log.slice(logStart)) {
    const n = entry.sdkAttempt ?? 1;
    perAttempt.set(n, (perAttempt.get(n) ?? 0) + 1);
  }
  return {
    ...outcome,
    attempts: server.attempts - before,
    perSdkAttempt: Math.max(0, ...perAttempt.values()),
  };
}

/**
 * skewguard never signs beyond the cap on an unconfirmed claim: the only requests signed there
 * are the SDK's own retries (on the offset it learned, as without skewguard), at most `most`.
 */
function expectOnlyTheSdkSignedBeyondTheCap(server: S3TestServer, most: number): void {
  const beyond = server.log.filter((entry) => {
    const [t] = signingTimesOf([entry]);
    return t !== undefined && Math.abs(t - Date.now()) > MAX_CORRECTION_MS + 2_000;
  });
  expect(beyond.length).toBeLessThanOrEqual(most);
  for (const entry of beyond) expect(entry.sdkAttempt).toBeGreaterThan(1);
}

/** The signing times the server saw, as ms. */
function signingTimes(server: S3TestServer): number[] {
  return signingTimesOf(server.log);
}

function signingTimesOf(log: S3TestServer["log"]): number[] {
  return log.flatMap((entry) => {
    const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(entry.signedAt ?? "");
    return m ? [Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)] : [];
  });
}

const types = (events: SkewguardEvent[]) => events.map((e) => e.type);
const skipReasons = (events: SkewguardEvent[]) =>
  events.flatMap((e) => (e.type === "recovery.skipped" ? [e.reason] : []));

describe("S3 faults", () => {
  it("a server that refuses every request as too skewed, with fresh evidence each time: bounded, 20 calls", async () => {
    const server = await s3Server({ fault: { kind: "always-skewed", aheadMs: 3 * HOUR } });
    const { client, events } = faultClient(server);
    const calls: CallRecord[] = [];
    for (let i = 0; i < 20; i++) calls.push(await call(server, () => get(client)));
    for (const c of calls) {
      expect(c.ok).toBe(false);
      expect(c.error?.name).toBe("RequestTimeTooSkewed");
      // skewguard adds at most one resend to an SDK attempt; the SDK does not retry this code.
      expect(c.perSdkAttempt).toBeLessThanOrEqual(2);
      expect(c.attempts).toBeLessThanOrEqual(2);
    }
    // The evidence drags the offset 3 h further on every answer, until it would pass the
    // 24 h cap: that claim is held, the SDK's own retry (on its own offset, as without
    // skewguard) is refused as skewed, and the claim is refuted: from then on each call
    // costs 1 request.
    expect(calls.slice(-5).map((c) => c.attempts)).toEqual([1, 1, 1, 1, 1]);
    expect(calls.reduce((sum, c) => sum + c.attempts, 0)).toBeLessThanOrEqual(30);
    expectOnlyTheSdkSignedBeyondTheCap(server, 1);
    expect(skipReasons(events)).toContain("evidence-untrusted");
    expect(types(events)).toContain("signature.diagnosed");

    // The bare SDK, for scale: its offset moves on every answer, so it retries with backoff up
    // to maxAttempts (3) on every call.
    const bare = faultClient(server, { wrapped: false }).client;
    const bareCalls: CallRecord[] = [];
    for (let i = 0; i < 3; i++) bareCalls.push(await call(server, () => get(bare)));
    for (const c of bareCalls) expect(c.attempts).toBeLessThanOrEqual(3);
    expect(Math.max(...bareCalls.map((c) => c.attempts))).toBeGreaterThan(
      Math.max(...calls.slice(-5).map((c) => c.attempts)),
    );
  });

  for (const dateHeader of ["missing", "malformed", "duplicated"] as const) {
    it(`Date ${dateHeader} and no evidence in the error body: 1 attempt, a clear error`, async () => {
      const server = await s3Server({
        clockOffsetMs: 20 * MINUTE,
        dateHeader,
        errorBody: "minimal",
      });
      server.objects.set("b/k", Buffer.from("x"));
      const { client, events } = faultClient(server);
      for (let i = 0; i < 3; i++) {
        const c = await call(server, () => get(client));
        expect(c).toMatchObject({ ok: false, attempts: 1 });
        expect(c.error?.name).toBe("RequestTimeTooSkewed");
      }
      expect(types(events)).not.toContain("request.resigned");
      // The user is told why nothing was resent, and what the failure means.
      expect(skipReasons(events)).toContain("evidence-untrusted");
      // No time anywhere says which way the clock is off: the diagnosis names both directions
      // as candidates, each with the check that tells (issue 12: no direction, no guess).
      expect(events).toContainEqual(
        expect.objectContaining({
          type: "signature.diagnosed",
          diagnosis: expect.objectContaining({
            cause: "unknown",
            candidates: [
              expect.objectContaining({ cause: "clock-behind" }),
              expect.objectContaining({ cause: "clock-ahead" }),
            ],
          }),
        }),
      );
    });
  }

  it("Date 2 h off the ServerTime in the same error body: the body wins, recovered", async () => {
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      fault: { kind: "date-disagrees", byMs: 2 * HOUR },
    });
    const { client, offsets } = faultClient(server);
    const bytes = randomBytes(4096);
    const first = await call(server, () => put(client, "d", bytes));
    expect(first).toMatchObject({ ok: true, attempts: 2 });
    for (let i = 0; i < 5; i++) {
      const later = await call(server, () => get(client, "d"));
      expect(later.ok).toBe(true);
      expect(later.attempts).toBeLessThanOrEqual(2);
    }
    expect(server.objects.get("b/d")?.equals(bytes)).toBe(true);
    expect(Math.abs(offsets.offsetMs(`${server.host}:${server.port}`) - 20 * MINUTE)).toBeLessThan(
      5_000,
    );
  });

  it("a 10 MiB error body: recovered, bytes stored equal bytes sent", async () => {
    // How long such a call takes is measured by `pnpm bench` (scripts/bench-s3.mjs).
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      fault: { kind: "huge-error-body" },
    });
    const { client, events } = faultClient(server);
    const bytes = randomBytes(64 * 1024);
    const c = await call(server, () => putStream(client, "big-error", bytes));
    expect(c).toMatchObject({ ok: true, attempts: 2 });
    expect(server.objects.get("b/big-error")?.equals(bytes)).toBe(true);
    expect(types(events)).toContain("request.recovered");
    // The padding reached no event.
    expect(JSON.stringify(events).length).toBeLessThan(S3_HUGE_ERROR_BODY_BYTES / 100);
  });

  it("a truncated XML error body: no crash; recovered from the Date header, 2 attempts then 1", async () => {
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      fault: { kind: "truncated-error-body" },
    });
    const { client } = faultClient(server);
    const bytes = randomBytes(1024);
    const attempts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await call(server, () => put(client, `t${i}`, bytes));
      expect(c.ok).toBe(true);
      expect(server.objects.get(`b/t${i}`)?.equals(bytes)).toBe(true);
      attempts.push(c.attempts);
    }
    expect(attempts).toEqual([2, 1, 1, 1]);
  });

  it("a connection reset after the headers, once: the SDK's retry recovers, bytes intact", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const { client, events } = faultClient(server);
    const bytes = randomBytes(32 * 1024);
    expect(await call(server, () => put(client, "r1", bytes))).toMatchObject({ attempts: 2 });
    server.setFault({ kind: "reset-after-headers" }, 1);
    const c = await call(server, () => put(client, "r2", bytes));
    expect(c).toMatchObject({ ok: true, attempts: 2 });
    expect(server.objects.get("b/r2")?.equals(bytes)).toBe(true);
    server.setFault({ kind: "reset-after-headers" }, 1);
    // A GetObject's answer is handed over at the headers: the cut body surfaces while it is
    // read, past the SDK's retries, as a clear stream error.
    const read = await call(server, () => get(client, "r2"));
    expect(read).toMatchObject({ ok: false, attempts: 1 });
    expect(String(read.error)).toMatch(/aborted|closed|ECONNRESET|terminated|premature/i);
    // No response, no clock evidence: skewguard resent only the first, clock-broken call.
    expect(types(events).filter((t) => t === "request.resigned")).toHaveLength(1);
  });

  it("a connection reset after the headers of a stream upload: a clear error, no bytes lost", async () => {
    const server = await s3Server();
    const { client } = faultClient(server);
    const bytes = randomBytes(16 * 1024);
    server.setFault({ kind: "reset-after-headers" }, 1);
    // The SDK does not retry a request whose body is a stream.
    const c = await call(server, () => putStream(client, "rs", bytes));
    expect(c).toMatchObject({ ok: false, attempts: 1 });
    expect(server.objects.get("b/rs")?.equals(bytes)).toBe(true);
  });

  it("a connection reset after the headers on every answer: a clear network error, bounded", async () => {
    const server = await s3Server({ fault: { kind: "reset-after-headers" } });
    const { client } = faultClient(server);
    const bytes = randomBytes(8 * 1024);
    const c = await call(server, () => put(client, "every", bytes));
    expect(c.ok).toBe(false);
    expect(c.attempts).toBeLessThanOrEqual(3);
    expect(server.objects.get("b/every")?.equals(bytes)).toBe(true);
  });

  it("a server that stalls: abortSignal and requestTimeout end the call", async () => {
    const server = await s3Server({ fault: { kind: "stall" } });
    const aborted = faultClient(server);
    const controller = new AbortController();
    const pending = call(server, () =>
      aborted.client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }), {
        abortSignal: controller.signal,
      }),
    );
    // The request is at the server, which will never answer it: only the abort can end it.
    await until(() => server.attempts === 1);
    controller.abort();
    const byAbort = await pending;
    expect(byAbort).toMatchObject({ ok: false, attempts: 1 });
    expect(byAbort.error?.name).toBe("AbortError");

    const timed = faultClient(server, {
      config: {
        requestHandler: { requestTimeout: 150, throwOnRequestTimeout: true },
        maxAttempts: 2,
      },
    });
    // The server never answers: only the SDK's own request timeout can end these attempts.
    const byTimeout = await call(server, () => get(timed.client));
    expect(byTimeout.ok).toBe(false);
    expect(byTimeout.attempts).toBeLessThanOrEqual(2);
    expect(types(aborted.events).concat(types(timed.events))).not.toContain("request.resigned");
  });

  it("the local clock steps +1 h, then back, mid-run: every call succeeds, 2 attempts at most", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    let stepMs = 0;
    const { client } = faultClient(server, { clock: { now: () => Date.now() + stepMs } });
    const bytes = randomBytes(2048);
    const run = async (label: string) => {
      const results: number[] = [];
      for (let i = 0; i < 4; i++) {
        const key = `${label}-${i}`;
        const c = await call(server, () => put(client, key, bytes));
        expect(c.ok).toBe(true);
        expect(server.objects.get(`b/${key}`)?.equals(bytes)).toBe(true);
        results.push(c.attempts);
      }
      return results;
    };
    expect(await run("start")).toEqual([2, 1, 1, 1]);
    stepMs = HOUR;
    expect(await run("ahead")).toEqual([2, 1, 1, 1]);
    stepMs = -HOUR;
    expect(await run("behind")).toEqual([2, 1, 1, 1]);
    stepMs = 0;
    expect(await run("back")).toEqual([2, 1, 1, 1]);
  });

  it("a forged Date in 2099 on every response, no body evidence: signing never moves past 24 h", async () => {
    const server = await s3Server({
      clockOffsetMs: 20 * MINUTE,
      dateHeader: "far-future",
      errorBody: "minimal",
    });
    server.objects.set("b/k", Buffer.from("x"));
    const { client, events } = faultClient(server);
    const attempts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await call(server, () => get(client));
      expect(c.ok).toBe(false);
      expect(c.error?.name).toBe("RequestTimeTooSkewed");
      attempts.push(c.attempts);
    }
    // The first claim of 2099 is held, not signed with; the SDK's own retry, signed on the
    // 2099 it learned (as without skewguard), is refused as skewed while the server still
    // claims 2099: refuted, and never left to the SDK again.
    expect(attempts).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expectOnlyTheSdkSignedBeyondTheCap(server, 1);
    // Once the server's clock is right again, the client is not poisoned.
    server.setClockOffset(0);
    server.setDateHeader("normal");
    expect(await call(server, () => get(client))).toMatchObject({ ok: true, attempts: 1 });
    expect(types(events)).not.toContain("request.resigned");
  });

  it("a forged Date in 2099 with ServerTime in the body: recovered on the body's time", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE, dateHeader: "far-future" });
    const { client, events } = faultClient(server);
    const bytes = randomBytes(4096);
    expect(await call(server, () => put(client, "f", bytes))).toMatchObject({
      ok: true,
      attempts: 2,
    });
    for (let i = 0; i < 5; i++)
      expect(await call(server, () => get(client, "f"))).toMatchObject({ ok: true, attempts: 1 });
    expect(server.objects.get("b/f")?.equals(bytes)).toBe(true);
    for (const t of signingTimes(server))
      expect(Math.abs(t - Date.now())).toBeLessThan(MAX_CORRECTION_MS);
    expect(skipReasons(events)).toEqual([]);
  });
});
