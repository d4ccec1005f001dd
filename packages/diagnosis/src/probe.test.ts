import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { OffsetStore } from "./offset-store.js";
import { probeServerClock, PROBE_RETRY_AFTER_MS } from "./probe.js";
import { SkewRecovery } from "./recovery.js";

const LOCAL = Date.parse("2026-11-23T10:00:00Z");
const AHEAD_MS = 20 * 60_000;

/** A fetch that answers 403 with the server's Date, counting calls; no network. */
function fakeFetch(date: string | null = new Date(LOCAL + AHEAD_MS).toUTCString()) {
  const calls: { url: string; method: string | undefined; redirect: string | undefined }[] = [];
  const fetch = (async (url: URL | string, init?: RequestInit) => {
    calls.push({ url: String(url), method: init?.method, redirect: init?.redirect });
    return new Response(null, { status: 403, headers: date ? { date } : {} });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

function engine() {
  let local = LOCAL;
  const clock = { now: () => local };
  const recovery = new SkewRecovery("s3", { clock, offsets: new OffsetStore({ clock }) });
  return { recovery, advance: (ms: number) => (local += ms) };
}

const request = (fetch: typeof globalThis.fetch, host = "bucket.s3.example.com:9000") => ({
  url: `https://${host}/key?X-Amz-Signature=abc`,
  host,
  operation: "ClockProbe",
  timeoutMs: 1_000,
  fetch,
});

describe("probeServerClock", () => {
  it("reads the clock with one HEAD of the root, shared by concurrent callers, no redirects", async () => {
    const { recovery } = engine();
    const { fetch, calls } = fakeFetch();
    await Promise.all(Array.from({ length: 20 }, () => probeServerClock(recovery, request(fetch))));
    expect(calls).toEqual([
      { url: "https://bucket.s3.example.com:9000/", method: "HEAD", redirect: "manual" },
    ]);
    const learned = recovery.signingOffsetMs("bucket.s3.example.com:9000");
    expect(Math.abs(learned - AHEAD_MS)).toBeLessThanOrEqual(1_000);
  });

  it("does not probe again for a while an endpoint whose probe taught nothing", async () => {
    const { recovery, advance } = engine();
    const { fetch, calls } = fakeFetch(null); // answers, but without Date
    for (let i = 0; i < 50; i++) await probeServerClock(recovery, request(fetch));
    expect(calls).toHaveLength(1);
    advance(PROBE_RETRY_AFTER_MS);
    await probeServerClock(recovery, request(fetch));
    expect(calls).toHaveLength(2);
  });

  it("never throws for an unreachable endpoint, and remembers that it taught nothing", async () => {
    const { recovery } = engine();
    let calls = 0;
    const failing = (async () => {
      calls++;
      throw new TypeError("fetch failed");
    }) as typeof globalThis.fetch;
    await expect(probeServerClock(recovery, request(failing, "down:1"))).resolves.toBeUndefined();
    await probeServerClock(recovery, request(failing, "down:1"));
    expect(calls).toBe(1);
    expect(recovery.signingOffsetMs("down:1")).toBe(0);
  });
});

describe("SkewRecovery.serverOffsetMs", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    server = undefined;
  });

  async function loopback(handler: Parameters<typeof createServer>[1]) {
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  it("probes once, then signs on what the probe taught; redirects are not followed", async () => {
    let heads = 0;
    const host = await loopback((req, res) => {
      heads++;
      expect(req.method).toBe("HEAD");
      res.writeHead(301, {
        Location: "http://127.0.0.1:1/elsewhere",
        Date: new Date(Date.now() + AHEAD_MS).toUTCString(),
      });
      res.end();
    });
    const recovery = new SkewRecovery("s3", { offsets: new OffsetStore() });
    const target = { url: `http://${host}/b/k`, host };
    const offsets = await Promise.all([
      recovery.serverOffsetMs(target),
      recovery.serverOffsetMs(target),
    ]);
    for (const offset of offsets) expect(Math.abs(offset - AHEAD_MS)).toBeLessThan(2_000);
    await recovery.serverOffsetMs(target);
    expect(heads).toBe(1);
  });

  it("does not probe with probe: false, per engine or per call", async () => {
    let heads = 0;
    const host = await loopback((_req, res) => {
      heads++;
      res.end();
    });
    const quiet = new SkewRecovery("s3", { offsets: new OffsetStore(), probe: false });
    expect(await quiet.serverOffsetMs({ url: `http://${host}/`, host })).toBe(0);
    const loud = new SkewRecovery("s3", { offsets: new OffsetStore() });
    expect(await loud.serverOffsetMs({ url: `http://${host}/`, host, probe: false })).toBe(0);
    expect(heads).toBe(0);
  });
});
