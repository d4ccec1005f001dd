import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Storage } from "@google-cloud/storage";
import {
  DEFAULT_CREDENTIALS,
  type GcsTestServer,
  type S3TestServer,
  startGcsTestServer,
  startS3TestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { fakeServerFetch, skewguard } from "./helpers.js";

const MINUTE = 60_000;
const servers: Array<S3TestServer | GcsTestServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function s3Server(clockOffsetMs: number): Promise<S3TestServer> {
  const server = await startS3TestServer({ clockOffsetMs, idleTimeoutMs: 20_000 });
  servers.push(server);
  server.objects.set("b/k", Buffer.from("hello"));
  return server;
}

/** A URL presigned on this machine's clock by the SDK's own presigner, as users make them. */
async function presign(server: S3TestServer, expiresIn: number): Promise<string> {
  const client = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: DEFAULT_CREDENTIALS["AKIDEXAMPLE"]!,
    },
  });
  return getSignedUrl(client, new GetObjectCommand({ Bucket: "b", Key: "k" }), { expiresIn });
}

function signatureOf(url: string, name: string): string {
  const value = new URL(url).searchParams.get(name);
  if (!value) throw new Error(`no ${name} in ${url}`);
  return value;
}

interface UrlReport {
  verdict: string;
  healthy: boolean;
  provider: string;
  algorithm: string;
  region: string | null;
  url: string;
  local: { state: string; remainingMs: number };
  server: {
    measured: boolean;
    offsetMs: number;
    boundMs: number;
    state: string;
    remainingMs: number;
  };
}

describe("skewguard doctor url", () => {
  it("S3: a URL fine by this clock but expired by the server's (20 min ahead) is reported as such, exit 1", async () => {
    const server = await s3Server(20 * MINUTE);
    const url = await presign(server, 900);
    // The server really refuses it: the report is about a real failure.
    expect((await fetch(url)).status).toBe(403);
    const signature = signatureOf(url, "X-Amz-Signature");

    const human = await skewguard(["doctor", "url", url, "-n", "3"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("expired-by-server-clock");
    expect(human.stdout).toMatch(
      /Expired only by the server's clock \(this clock is (19m 59\.\d|20m [\d.]+)s behind the server's\)/,
    );
    expect(human.stdout).toContain("AKIDEXAMPLE");
    expect(human.stdout).toContain("us-east-1");
    expect(human.stdout).toContain("X-Amz-Signature=[REDACTED]");
    expect(human.stdout).toContain("timedatectl");

    const json = await skewguard(["doctor", "url", url, "-n", "3", "--json"]);
    expect(json.code).toBe(1);
    const report = json.json<UrlReport>();
    expect(report).toMatchObject({
      verdict: "expired-by-server-clock",
      healthy: false,
      provider: "s3",
      region: "us-east-1",
    });
    expect(report.local.state).toBe("valid");
    expect(report.local.remainingMs).toBeGreaterThan(14 * MINUTE);
    expect(report.server.state).toBe("expired");
    expect(Math.abs(report.server.offsetMs - 20 * MINUTE)).toBeLessThanOrEqual(
      report.server.boundMs + 1,
    );
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain(signature);
    }
  });

  it("S3: a URL valid by both clocks exits 0 and says how long it has left", async () => {
    const server = await s3Server(0);
    const url = await presign(server, 600);
    expect((await fetch(url)).status).toBe(200);
    const result = await skewguard(["doctor", "url", url, "-n", "2"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /valid: Valid by the server's clock, for (9m [\d.]+s|10m 0s) more/,
    );
    expect(result.stdout).not.toContain(signatureOf(url, "X-Amz-Signature"));
  });

  it("GCS: a V4 URL signed on a clock 20 min ahead is not valid yet by the server's clock, exit 1", async () => {
    const server = await startGcsTestServer({ clockOffsetMs: -20 * MINUTE, idleTimeoutMs: 20_000 });
    servers.push(server);
    server.objects.set("bkt/o", Buffer.from("x"));
    const account = testServiceAccount();
    const storage = new Storage({
      apiEndpoint: server.url,
      projectId: "p",
      credentials: { client_email: account.client_email, private_key: account.private_key },
    });
    const [url] = await storage
      .bucket("bkt")
      .file("o")
      .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 10 * MINUTE });
    expect((await fetch(url)).status).toBe(400);

    const result = await skewguard(["doctor", "url", url, "-n", "2", "--json"]);
    expect(result.code).toBe(1);
    const report = result.json<UrlReport>();
    expect(report).toMatchObject({
      verdict: "not-yet-valid-by-server-clock",
      provider: "gcs",
      algorithm: "GOOG4-RSA-SHA256",
    });
    expect(result.stdout).toContain(account.client_email);
    expect(result.stdout).not.toContain(signatureOf(url, "X-Goog-Signature"));
  });

  it("Azure SAS: expired by the server's clock only; sig never printed", async () => {
    const sig = "q2R0Zk5vdFJlYWxseUFTaWduYXR1cmVCdXRMb25nRW5vdWdoPQ==";
    const localNow = Date.parse("2026-11-23T10:00:00Z");
    const url = `https://acct.blob.core.windows.net/c/b.txt?sv=2024-08-04&sr=b&sp=r&st=2026-11-23T09%3A50%3A00Z&se=2026-11-23T10%3A10%3A00Z&sig=${encodeURIComponent(sig)}`;
    const io = {
      clock: { now: () => localNow },
      sleep: async () => {},
      fetch: fakeServerFetch(() => localNow + 30 * MINUTE),
    };
    const human = await skewguard(["doctor", "url", url, "-n", "2"], io);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("Azure SAS URL (HMAC-SHA256 (service SAS))");
    expect(human.stdout).toContain("account");
    expect(human.stdout).toContain("acct");
    expect(human.stdout).toContain("expired-by-server-clock");
    const json = await skewguard(["doctor", "url", url, "-n", "2", "--json"], io);
    for (const out of [human.stdout, json.stdout]) {
      expect(out).not.toContain(sig);
      expect(out).not.toContain(encodeURIComponent(sig));
    }
  });

  it("--no-measure judges by this clock alone and says so", async () => {
    const url =
      "https://acct.blob.core.windows.net/c/b?sv=2024-08-04&sr=b&sp=r&se=2020-01-01T00%3A00%3A00Z&sig=abcdefghijklmnop";
    const result = await skewguard(["doctor", "url", url, "--no-measure"], {
      fetch: () => Promise.reject(new Error("must not be called")),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("expired: Expired");
    expect(result.stdout).toContain("the server's was not measured");
  });

  it("bad input exits 2 with a clear message", async () => {
    const notUrl = await skewguard(["doctor", "url", "nonsense"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('not a URL: "nonsense"');
    const unsigned = await skewguard(["doctor", "url", "https://example.com/a?b=c"]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain("not a signed URL");
    const missing = await skewguard(["doctor", "url"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'signed-url'");
    const badCount = await skewguard([
      "doctor",
      "url",
      "https://x.test/?sig=a&sv=b&se=c",
      "-n",
      "0",
    ]);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain("expected a whole number from 1 to 20");
  });
});
