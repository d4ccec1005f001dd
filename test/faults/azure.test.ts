import { randomBytes } from "node:crypto";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { type Clock, OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { type AzureProxyFaults, HUGE_ERROR_BODY_BYTES } from "@skewguard/testkit";
import { beforeEach, describe, expect, it } from "vitest";
import { HOUR, MINUTE, azureServerPerFile, createContainer, types } from "../azure/fixtures.js";
import { until } from "../until.js";

/**
 * Azure fault suite, counted at the skew proxy: broken Date headers, lying and huge bodies,
 * resets, stalls, a runaway server clock, a stepping local clock and a forged far-future Date.
 * Whatever happens: no crash, no hang, a bounded number of attempts, the bytes stored are the
 * bytes sent, and a failure ends in a clear error or a `recovery.skipped` event.
 */

const server = azureServerPerFile();
beforeEach(() => server().setFaults({}));

const CONTAINER = "faults";
const DAY = 24 * HOUR;
/** The SDK's own retries, made fast so that a fault it retries cannot slow the suite. */
const MAX_TRIES = 3;

interface FaultClient {
  service: BlobServiceClient;
  events: SkewguardEvent[];
  offsets: OffsetStore;
}

function faultClient(
  options: { clock?: Clock; onEvent?: (event: SkewguardEvent) => void } = {},
): FaultClient {
  const events: SkewguardEvent[] = [];
  const offsets = new OffsetStore(options.clock ? { clock: options.clock } : {});
  const service = new BlobServiceClient(
    server().serviceUrl,
    new StorageSharedKeyCredential(server().accountName, server().accountKey),
    {
      retryOptions: {
        maxTries: MAX_TRIES,
        retryDelayInMs: 10,
        maxRetryDelayInMs: 20,
      },
    },
  );
  withSkewRecovery(service, {
    offsets,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { service, events, offsets };
}

interface CallError {
  name?: string;
  statusCode?: number;
  code?: string;
  message?: string;
}

interface Outcome {
  attempts: number;
  ok: boolean;
  error?: CallError;
}

/** One call, counted at the proxy; never throws. */
async function attempt(call: () => Promise<unknown>): Promise<Outcome> {
  const before = server().attempts;
  try {
    await call();
    return { attempts: server().attempts - before, ok: true };
  } catch (error) {
    return { attempts: server().attempts - before, ok: false, error: error as CallError };
  }
}

function upload(client: FaultClient, name: string, bytes: Buffer): Promise<Outcome> {
  const blob = client.service.getContainerClient(CONTAINER).getBlockBlobClient(name);
  return attempt(() => blob.upload(bytes, bytes.length));
}

/** What the emulator holds, read past the proxy: no clock check, not counted. */
async function stored(name: string): Promise<Buffer | undefined> {
  const direct = new BlobServiceClient(
    `${server().azurite.origin}/${server().accountName}`,
    new StorageSharedKeyCredential(server().accountName, server().accountKey),
  );
  const blob = direct.getContainerClient(CONTAINER).getBlobClient(name);
  return (await blob.exists()) ? blob.downloadToBuffer() : undefined;
}

/** Starts a scenario: the container exists, the proxy runs `offsetMs` ahead with `faults`. */
async function scenario(offsetMs: number, faults: AzureProxyFaults): Promise<void> {
  await createContainer(server(), CONTAINER);
  server().resetLog();
  server().setClockOffset(offsetMs);
  server().setFaults(faults);
}

/** How far each request's signing time was from the real clock when it arrived. */
function signingDistancesMs(): number[] {
  return server().log.flatMap((entry) =>
    entry.requestDate ? [Math.abs(Date.parse(entry.requestDate) - entry.at)] : [],
  );
}

function skipReasons(events: SkewguardEvent[]): string[] {
  return events.flatMap((e) => (e.type === "recovery.skipped" ? [e.reason] : []));
}

/** After a fault clears at +20 min: the client heals within 2 attempts, then signs right. */
async function expectHealsAfterwards(client: FaultClient, name: string): Promise<void> {
  server().setFaults({});
  server().setClockOffset(20 * MINUTE);
  const payload = randomBytes(1024);
  const healed = await upload(client, name, payload);
  expect(healed.ok).toBe(true);
  expect(healed.attempts).toBeLessThanOrEqual(2);
  expect((await upload(client, name, payload)).attempts).toBe(1);
  expect((await stored(name))?.equals(payload)).toBe(true);
}

describe("Azure faults, counted at the proxy", () => {
  it("a server that always answers a skew error with fresh evidence: 20 calls, at most 2 attempts each", async () => {
    await scenario(20 * MINUTE, { clockStepPerRequestMs: HOUR });
    const client = faultClient();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 20; i++)
      outcomes.push(await upload(client, "runaway.bin", randomBytes(64)));
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      expect(outcome.error?.statusCode).toBe(403);
      expect(outcome.attempts).toBeGreaterThanOrEqual(1);
      expect(outcome.attempts).toBeLessThanOrEqual(2);
    }
    // Chasing a clock that ran 40 hours: signing never strayed more than a day.
    expect(Math.max(...signingDistancesMs())).toBeLessThanOrEqual(DAY + MINUTE);
    expect(skipReasons(client.events).length).toBeGreaterThan(0);
    expect(await stored("runaway.bin")).toBeUndefined();
    await expectHealsAfterwards(client, "runaway.bin");
  });

  const dateFaults: Array<{ name: string; faults: AzureProxyFaults }> = [
    { name: "missing", faults: { dateHeader: "missing" } },
    { name: "malformed", faults: { dateHeader: "malformed" } },
    { name: "duplicated", faults: { dateHeader: "duplicated" } },
    { name: "2099 on errors only", faults: { dateHeader: "far-future-on-errors" } },
  ];
  it.each(dateFaults)(
    "Date $name at +20 min: the body's Time: heals the first call in 2 attempts, the rest in 1",
    async ({ name, faults }) => {
      await scenario(20 * MINUTE, faults);
      const client = faultClient();
      const blobName = `date-${name.replace(/\W+/g, "-")}.bin`;
      const attempts: number[] = [];
      let last = Buffer.alloc(0);
      for (let i = 0; i < 4; i++) {
        last = randomBytes(2048);
        const outcome = await upload(client, blobName, last);
        expect(outcome.ok).toBe(true);
        attempts.push(outcome.attempts);
      }
      expect(attempts).toEqual([2, 1, 1, 1]);
      expect((await stored(blobName))?.equals(last)).toBe(true);
      expect(Math.abs(client.offsets.offsetMs(host()) - 20 * MINUTE)).toBeLessThan(2_000);
    },
  );

  it("Date missing on a HEAD, which has no body: nothing to learn from, one attempt, a clear 403", async () => {
    await scenario(20 * MINUTE, { dateHeader: "missing" });
    const client = faultClient();
    const blob = client.service.getContainerClient(CONTAINER).getBlobClient("head.bin");
    const outcome = await attempt(() => blob.getProperties());
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: { statusCode: 403 } });
    expect(skipReasons(client.events)).toHaveLength(1);
    expect(client.offsets.offsetMs(host())).toBe(0);
    await expectHealsAfterwards(client, "head.bin");
  });

  it.each([3 * HOUR, -3 * HOUR])(
    "a front end restamping Date %i ms off the body's Time: every call succeeds in at most 2 attempts",
    async (dateShiftMs) => {
      await scenario(20 * MINUTE, { dateShiftMs });
      const client = faultClient();
      let last = Buffer.alloc(0);
      for (let i = 0; i < 5; i++) {
        last = randomBytes(2048);
        const outcome = await upload(client, "restamped.bin", last);
        expect(outcome.ok).toBe(true);
        expect(outcome.attempts).toBeLessThanOrEqual(2);
      }
      expect((await stored("restamped.bin"))?.equals(last)).toBe(true);
      expect(Math.max(...signingDistancesMs())).toBeLessThanOrEqual(3 * HOUR + 21 * MINUTE);
    },
  );

  it.each([HOUR, -3 * HOUR])(
    "an error body whose Time: lies by %i ms: a clear 403, recovery.skipped, at most 2 attempts a call",
    async (bodyTimeShiftMs) => {
      await scenario(20 * MINUTE, { bodyTimeShiftMs });
      const client = faultClient();
      const name = `lying-body${bodyTimeShiftMs}.bin`;
      for (let i = 0; i < 4; i++) {
        const outcome = await upload(client, name, randomBytes(64));
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toMatchObject({ statusCode: 403, code: "AuthenticationFailed" });
        expect(outcome.attempts).toBeLessThanOrEqual(2);
      }
      expect(skipReasons(client.events)).toContain("not-clock");
      expect(types(client.events).filter((t) => t === "request.resigned")).toHaveLength(1);
      expect(await stored(name)).toBeUndefined();
      await expectHealsAfterwards(client, name);
    },
  );

  it("a 10 MB error body: read, capped, recovered in 2 attempts; events stay small", async () => {
    // How long such a call takes is measured by `pnpm bench` (scripts/bench-azure.mjs).
    await scenario(20 * MINUTE, { errorBody: "huge" });
    const client = faultClient();
    const payload = randomBytes(4096);
    const outcome = await upload(client, "huge-error.bin", payload);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect((await stored("huge-error.bin"))?.equals(payload)).toBe(true);
    expect(JSON.stringify(client.events).length).toBeLessThan(HUGE_ERROR_BODY_BYTES / 100);
    expect(types(client.events)).toContain("request.recovered");
  });

  it("a truncated XML error body: the Date header and the error-code header carry it, 2 then 1", async () => {
    await scenario(-20 * MINUTE, { errorBody: "truncated" });
    const client = faultClient();
    const payload = randomBytes(4096);
    expect(await upload(client, "truncated.bin", payload)).toMatchObject({ ok: true, attempts: 2 });
    expect(await upload(client, "truncated.bin", payload)).toMatchObject({ ok: true, attempts: 1 });
    expect((await stored("truncated.bin"))?.equals(payload)).toBe(true);
  });

  it("a connection reset after the headers of an error: a clear error, nothing stored, then healing", async () => {
    await scenario(20 * MINUTE, { resetAfterHeaders: "errors" });
    const client = faultClient();
    const outcome = await upload(client, "reset.bin", randomBytes(4096));
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.name).toBe("RestError");
    expect(outcome.error?.message).toMatch(/aborted|ECONNRESET|socket hang up/i);
    expect(outcome.attempts).toBeGreaterThanOrEqual(1);
    expect(outcome.attempts).toBeLessThanOrEqual(MAX_TRIES);
    expect(await stored("reset.bin")).toBeUndefined();
    await expectHealsAfterwards(client, "reset.bin");
  });

  it("a connection reset after the headers of a download: a clear error; the blob is intact", async () => {
    await scenario(20 * MINUTE, {});
    const client = faultClient();
    const payload = randomBytes(256 * 1024);
    expect((await upload(client, "download.bin", payload)).ok).toBe(true);
    server().setFaults({ resetAfterHeaders: "all" });
    const blob = client.service.getContainerClient(CONTAINER).getBlobClient("download.bin");
    const outcome = await attempt(() => blob.downloadToBuffer());
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/aborted|ECONNRESET|socket hang up|premature/i);
    expect(outcome.attempts).toBeLessThanOrEqual(MAX_TRIES * 2);
    server().setFaults({});
    expect((await blob.downloadToBuffer()).equals(payload)).toBe(true);
  });

  it("a server that stalls: the caller's abort signal ends the call, nothing hangs", async () => {
    await scenario(20 * MINUTE, { stall: true });
    const client = faultClient();
    const blob = client.service.getContainerClient(CONTAINER).getBlockBlobClient("stall.bin");
    const controller = new AbortController();
    const call = attempt(() => blob.upload("stalled", 7, { abortSignal: controller.signal }));
    // The request is at the proxy, which will never answer it: only the abort can end the call.
    await until(() => server().attempts === 1);
    controller.abort();
    const outcome = await call;
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.name).toBe("AbortError");
    expect(outcome.attempts).toBe(1);
    expect(await stored("stall.bin")).toBeUndefined();
    await expectHealsAfterwards(client, "stall.bin");
  });

  it("a server that stalls on the corrective resend: the abort signal still ends the call", async () => {
    await scenario(20 * MINUTE, {});
    // The resend leaves right after this event: from then on the server never answers.
    const client = faultClient({
      onEvent: (event) => {
        if (event.type === "request.resigned") server().setFaults({ stall: true });
      },
    });
    const blob = client.service.getContainerClient(CONTAINER).getBlockBlobClient("stall2.bin");
    const controller = new AbortController();
    const call = attempt(() => blob.upload("stalled", 7, { abortSignal: controller.signal }));
    // The resend is at the proxy, which will never answer it: only the abort can end the call.
    await until(() => server().attempts === 2);
    controller.abort();
    const outcome = await call;
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.name).toBe("AbortError");
    expect(outcome.attempts).toBe(2);
    expect(await stored("stall2.bin")).toBeUndefined();
  });

  it("the local clock steps +1 h, then -1 h, mid-run: each step costs at most one resend", async () => {
    await scenario(20 * MINUTE, {});
    let stepMs = 0;
    const clock: Clock = { now: () => Date.now() + stepMs };
    const client = faultClient({ clock });
    const run = async () => {
      const attempts: number[] = [];
      let last = Buffer.alloc(0);
      for (let i = 0; i < 3; i++) {
        last = randomBytes(1024);
        const outcome = await upload(client, "stepping.bin", last);
        expect(outcome.ok).toBe(true);
        attempts.push(outcome.attempts);
      }
      expect((await stored("stepping.bin"))?.equals(last)).toBe(true);
      return attempts;
    };
    expect(await run()).toEqual([2, 1, 1]);
    stepMs = HOUR;
    expect(await run()).toEqual([2, 1, 1]);
    stepMs = -HOUR;
    expect(await run()).toEqual([2, 1, 1]);
    // Relearned each time: what it signs with now is the server's clock.
    expect(Math.abs(client.offsets.offsetMs(host()) - (20 * MINUTE + HOUR))).toBeLessThan(2_000);
  });

  it("a forged Date in 2099 on every response, clocks agreeing: ignored, 1 attempt a call", async () => {
    await scenario(0, { dateHeader: "far-future" });
    const client = faultClient();
    let last = Buffer.alloc(0);
    for (let i = 0; i < 5; i++) {
      last = randomBytes(512);
      expect(await upload(client, "forged-ok.bin", last)).toMatchObject({ ok: true, attempts: 1 });
    }
    expect((await stored("forged-ok.bin"))?.equals(last)).toBe(true);
    expect(Math.max(...signingDistancesMs())).toBeLessThan(MINUTE);
    expect(client.offsets.offsetMs(host())).toBe(0);
  });

  it("a server that claims 2099 in Date and Time: while skewed: signing never moves more than 24 h", async () => {
    const forgedShiftMs = in2099(Date.now()) - Date.now();
    await scenario(20 * MINUTE, { dateHeader: "far-future", bodyTimeShiftMs: forgedShiftMs });
    const client = faultClient();
    const attempts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = await upload(client, "forged.bin", randomBytes(64));
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ statusCode: 403, code: "AuthenticationFailed" });
      attempts.push(outcome.attempts);
    }
    // The claim is held; when a second answer agrees, one request is tried on it, refused as
    // skewed while the server still claims 2099: refuted for good.
    expect(attempts).toEqual([1, 2, 1, 1, 1]);
    expect(signingDistancesMs().filter((d) => d > DAY)).toHaveLength(1);
    expect(skipReasons(client.events)).toContain("evidence-untrusted");
    expect(await stored("forged.bin")).toBeUndefined();
    await expectHealsAfterwards(client, "forged.bin");
  });
});

function host(): string {
  return new URL(server().serviceUrl).host;
}

function in2099(ms: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(2099);
  return date.getTime();
}
