import { type S3TestServer, startGcsTestServer, startS3TestServer } from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { skewguard } from "./helpers.js";

const MINUTE = 60_000;
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function s3Server(clockOffsetMs: number): Promise<S3TestServer> {
  const server = await startS3TestServer({ clockOffsetMs, idleTimeoutMs: 20_000 });
  servers.push(server);
  return server;
}

interface SkewReport {
  offsetMs: number;
  boundMs: number;
  lowMs: number;
  highMs: number;
  samples: number;
  healthy: boolean;
  windows: Array<{ id: string; status: string }>;
}

describe("skewguard skew", () => {
  it("measures a server 20 min ahead within its printed bound, narrower than the Date header's second; exit 1", async () => {
    const server = await s3Server(20 * MINUTE + 437);
    const result = await skewguard(["skew", server.url, "-n", "6", "--json"]);
    expect(result.code).toBe(1);
    const report = result.json<SkewReport>();
    // The test's clock and the server's differ by exactly the configured offset.
    expect(Math.abs(report.offsetMs - (20 * MINUTE + 437))).toBeLessThanOrEqual(report.boundMs + 1);
    expect(report.lowMs).toBeLessThanOrEqual(20 * MINUTE + 437);
    expect(report.highMs).toBeGreaterThanOrEqual(20 * MINUTE + 437);
    // How narrow the bound gets on a real loopback depends on the machine's timing: measured by
    // `pnpm bench` (scripts/bench-core.mjs); the simulated test below checks it exactly.
    expect(report.samples).toBe(6);
    const status = Object.fromEntries(report.windows.map((w) => [w.id, w.status]));
    expect(status).toEqual({
      "sigv4-headers": "fails",
      "azure-shared-key": "fails",
      "presigned-urls": "fails",
      "azure-sas": "at-risk",
      "gcs-jwt": "fails",
    });
  });

  it("a simulated server 20 min ahead, 4 ms round trips: timed requests take the bound far below the Date header's second", async () => {
    // One clock that the command's own sleeps advance, and a server whose clock is that one plus
    // the offset, stamping a whole-second Date halfway through each round trip: no real time.
    const offsetMs = 20 * MINUTE + 437;
    let now = Date.parse("2026-11-23T10:00:00.123Z");
    const io = {
      clock: { now: () => now },
      sleep: async (ms: number) => {
        now += ms;
      },
      fetch: (async () => {
        now += 2;
        const date = new Date(now + offsetMs).toUTCString();
        now += 2;
        return new Response(null, { status: 403, headers: { date } });
      }) as typeof fetch,
    };
    const one = (
      await skewguard(["skew", "http://s3.test", "-n", "1", "--json"], io)
    ).json<SkewReport>();
    const six = await skewguard(["skew", "http://s3.test", "-n", "6", "--json"], io);
    expect(six.code).toBe(1);
    const report = six.json<SkewReport>();
    expect(report.samples).toBe(6);
    expect(report.lowMs).toBeLessThanOrEqual(offsetMs);
    expect(report.highMs).toBeGreaterThanOrEqual(offsetMs);
    // One Date header: half a second either way; six timed ones: each halves what is left.
    expect(one.boundMs).toBeGreaterThanOrEqual(500);
    expect(report.boundMs).toBeLessThan(25);
  });

  it("human output: offset ± bound, the verdict, each provider's window, a fix", async () => {
    const gcs = await startGcsTestServer({ clockOffsetMs: -3 * MINUTE, idleTimeoutMs: 20_000 });
    servers.push(gcs);
    const result = await skewguard(["skew", gcs.url, "-n", "3"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/offset\s+-(2m 59\.\d|3m [\d.]+)s \(-1\d{5}ms\) ±\d+ms/);
    expect(result.stdout).toMatch(
      /this clock is (2m 59\.\d|3m [\d.]+)s ahead of the server's: more than the 1m 0s tolerance/,
    );
    expect(result.stdout).toContain("S3, and GCS's XML API with HMAC keys (SigV4 headers)");
    expect(result.stdout).toMatch(/a SAS made here with st=now is refused for/);
    expect(result.stdout).toContain("timedatectl");
    // No colour codes when stdout is not a terminal.
    expect(result.stdout).not.toContain("\x1b[");
  });

  it("a server in step exits 0; FORCE_COLOR colours it, NO_COLOR wins over it", async () => {
    const server = await s3Server(0);
    const coloured = await skewguard(["skew", server.url, "-n", "2"], {
      env: { FORCE_COLOR: "1" },
    });
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain("\x1b[32m✓");
    const plain = await skewguard(["skew", server.url, "-n", "2"], {
      env: { FORCE_COLOR: "1", NO_COLOR: "1" },
    });
    expect(plain.stdout).not.toContain("\x1b[");
    const flag = await skewguard(["--no-color", "skew", server.url, "-n", "2"], {
      env: { FORCE_COLOR: "1" },
    });
    expect(flag.stdout).not.toContain("\x1b[");
  });

  it("an endpoint that does not answer: exit 1 and why; a progress line only on a terminal", async () => {
    const server = await s3Server(0);
    const url = server.url;
    await server.close();
    let stderr = "";
    const result = await skewguard(["skew", url, "-n", "5"], {
      stderr: { write: (text: string) => (stderr += text), isTTY: true },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("ECONNREFUSED");
    expect(result.stdout).toContain("no offset");
    expect(stderr).toContain("measuring 127.0.0.1");
    // Cleared at the end: the last thing written erases the line.
    expect(stderr.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("usage errors exit 2", async () => {
    expect((await skewguard(["skew"])).code).toBe(2);
    const bad = await skewguard(["skew", "ftp://x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not an http(s) URL or host");
    const unknown = await skewguard(["skew", "x", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });
});
