import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { DEFAULT_CREDENTIALS, type S3TestServer, startS3TestServer } from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  AZURE_DATE_TOO_OLD,
  AZURE_MAC_MISMATCH,
  AZURE_SAS_TIME_FRAME,
  GCS_INVALID_GRANT,
  GCS_XML_EXPIRED_TOKEN,
} from "../../packages/diagnosis/src/error-bodies.fixture.js";
import { skewguard, stdinOf } from "./helpers.js";

const MINUTE = 60_000;
const SECRET = DEFAULT_CREDENTIALS["AKIDEXAMPLE"]!;
const servers: S3TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function s3Server(clockOffsetMs: number): Promise<S3TestServer> {
  const server = await startS3TestServer({ clockOffsetMs, idleTimeoutMs: 20_000 });
  servers.push(server);
  server.objects.set("b/k", Buffer.from("hello"));
  return server;
}

function s3Client(server: S3TestServer, secretAccessKey = SECRET): S3Client {
  return new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey },
  });
}

/** What a user pastes: the SDK's error as `JSON.stringify(err)`. */
async function sdkErrorJson(client: S3Client): Promise<string> {
  try {
    await client.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
  } catch (error) {
    return JSON.stringify(error);
  }
  throw new Error("the request succeeded");
}

interface ErrorReport {
  provider: string;
  input: string;
  status: number;
  diagnosis: { cause: string; summary: string; evidence: Array<{ name: string; value: string }> };
}

describe("skewguard doctor error", () => {
  it("an AWS SDK RequestTimeTooSkewed error (JSON, from a server 20 min ahead): clock behind, exit 1", async () => {
    const server = await s3Server(20 * MINUTE);
    const pasted = await sdkErrorJson(s3Client(server));
    expect(pasted).toContain("RequestTimeTooSkewed");
    const result = await skewguard(["doctor", "error", "-", "--json"], { stdin: stdinOf(pasted) });
    expect(result.code).toBe(1);
    const report = result.json<ErrorReport>();
    expect(report).toMatchObject({ provider: "s3", input: "aws-sdk-error", status: 403 });
    expect(report.diagnosis.cause).toBe("clock-behind");
    expect(report.diagnosis.summary).toMatch(/20m .*behind the server's/);
  });

  it("an expired presigned URL's answer, as curl -i prints it: presigned-expired, with the fixes", async () => {
    const server = await s3Server(20 * MINUTE);
    const client = s3Client(server);
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: "b", Key: "k" }), {
      expiresIn: 900,
    });
    const response = await fetch(url);
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`);
    const dump = `HTTP/1.1 ${response.status} Forbidden\r\n${headers.join("\r\n")}\r\n\r\n${await response.text()}`;
    const result = await skewguard(["doctor", "error"], { stdin: stdinOf(dump) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("AccessDenied · S3 XML error body with HTTP headers · s3");
    expect(result.stdout).toContain("presigned-expired");
    expect(result.stdout).toContain("The signed URL had expired by the server's clock.");
    expect(result.stdout).toMatch(/Fixes\n {2}1\. Make the URL with skewguard's signing helper/);
    expect(result.stdout).toContain("Dead ends (these will not help)");
    expect(result.stdout).not.toContain(new URL(url).searchParams.get("X-Amz-Signature")!);
  });

  it("a wrong secret (SDK error with StringToSign): secret-key-mismatch; the echoed signature is never printed", async () => {
    const server = await s3Server(0);
    const pasted = await sdkErrorJson(s3Client(server, "ZZZZZZZZZZfakeWrongSecretKeyForTests0000"));
    const provided = (JSON.parse(pasted) as { SignatureProvided: string }).SignatureProvided;
    expect(provided).toMatch(/^[0-9a-f]{64}$/);
    const human = await skewguard(["doctor", "error"], { stdin: stdinOf(pasted) });
    const json = await skewguard(["doctor", "error", "--json"], { stdin: stdinOf(pasted) });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("secret-key-mismatch");
    expect(json.json<ErrorReport>().diagnosis.cause).toBe("secret-key-mismatch");
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain(provided);
      expect(out).not.toContain(SECRET);
    }
  });

  it.each([
    ["Azure x-ms-date too old", AZURE_DATE_TOO_OLD, "azure", "clock-behind"],
    [
      "Azure SAS start ahead of the server",
      AZURE_SAS_TIME_FRAME,
      "azure",
      "presigned-not-yet-valid",
    ],
    ["GCS invalid_grant", GCS_INVALID_GRANT, "gcs", "jwt-clock-skew"],
    ["GCS expired signed URL", GCS_XML_EXPIRED_TOKEN, "gcs", "presigned-expired"],
  ])("%s: provider detected, cause named", async (_, body, provider, cause) => {
    const files: Record<string, string> = { "/tmp/body": body };
    const result = await skewguard(["doctor", "error", "/tmp/body", "--json"], {
      readFile: async (path) => files[path] ?? "",
    });
    expect(result.code).toBe(1);
    const report = result.json<ErrorReport>();
    expect(report.provider).toBe(provider);
    expect(report.diagnosis.cause).toBe(cause);
  });

  it("Azure's MAC mismatch echoes the client's signature: not in the output", async () => {
    const signature = "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==";
    expect(AZURE_MAC_MISMATCH).toContain(signature);
    const human = await skewguard(["doctor", "error"], { stdin: stdinOf(AZURE_MAC_MISMATCH) });
    const json = await skewguard(["doctor", "error", "--json"], {
      stdin: stdinOf(AZURE_MAC_MISMATCH),
    });
    for (const out of [human.stdout, json.stdout]) expect(out).not.toContain(signature);
    expect(human.stdout).toContain("AuthenticationFailed");
  });

  it("--provider forces the reader", async () => {
    const result = await skewguard(["doctor", "error", "--provider", "azure", "--json"], {
      stdin: stdinOf("Request date header too old: 'Mon, 23 Nov 2026 09:40:00 GMT'"),
    });
    expect(result.json<ErrorReport>().provider).toBe("azure");
  });

  it("input that is no error, a missing file or a bad --provider: exit 2 with a clear message", async () => {
    const prose = await skewguard(["doctor", "error"], { stdin: stdinOf("hello world") });
    expect(prose.code).toBe(2);
    expect(prose.stderr).toContain("no S3, GCS or Azure error found in standard input");
    const missing = await skewguard(["doctor", "error", "/nonexistent/file.xml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read /nonexistent/file.xml (ENOENT)");
    const provider = await skewguard(["doctor", "error", "--provider", "b2"]);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain("Allowed choices are s3, gcs, azure");
    const terminal = await skewguard(["doctor", "error"], {
      stdin: Object.assign(stdinOf(""), { isTTY: true }),
    });
    expect(terminal.code).toBe(2);
    expect(terminal.stderr).toContain("no input: pass a file, or pipe the error body in");
  });
});

describe("skewguard doctor error --check-clock", () => {
  const loopbacks: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      loopbacks.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  });

  /** A loopback server whose Date header runs `offsetMs` ahead of this machine. */
  async function skewedServer(offsetMs: number): Promise<string> {
    const server = createServer((_req, res) => {
      res.writeHead(403, { date: new Date(Date.now() + offsetMs).toUTCString() });
      res.end();
    });
    loopbacks.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A bare SignatureDoesNotMatch as curl -v shows it: no time anywhere. */
  const pasteFor = (origin: string) => `$ curl -v ${origin}/b/k
> GET /b/k HTTP/1.1
> Host: ${new URL(origin).host}
>
< HTTP/1.1 403 Forbidden
< Content-Type: application/xml
<
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>`;

  interface CheckReport {
    endpoint: string;
    diagnosis: { cause: string; candidates?: Array<{ cause: string; check: string }> };
    clockCheck: { endpoint: string; measured: boolean; offsetMs: number; boundMs: number };
    notes: string[];
  }

  it("measures the endpoint the input names and folds the offset into the verdict: clock behind", async () => {
    const origin = await skewedServer(20 * MINUTE);
    const bare = await skewguard(["doctor", "error", "--json"], {
      stdin: stdinOf(pasteFor(origin)),
    });
    expect(bare.json<CheckReport>().diagnosis.cause).toBe("unknown");
    const result = await skewguard(["doctor", "error", "--json", "--check-clock", "-n", "2"], {
      stdin: stdinOf(pasteFor(origin)),
    });
    expect(result.code).toBe(1);
    const report = result.json<CheckReport>();
    expect(report.endpoint).toBe(origin);
    expect(report.clockCheck).toMatchObject({ endpoint: origin, measured: true });
    expect(Math.abs(report.clockCheck.offsetMs - 20 * MINUTE)).toBeLessThan(1_500);
    expect(report.diagnosis.cause).toBe("clock-behind");
    expect(report.notes.join(" ")).toMatch(
      /measured against http:\/\/127\.0\.0\.1:\d+ now: \+(?:19m 5\d|20m )/,
    );
  });

  it("a clock in step rules the clock out: the key, with the request left open", async () => {
    const origin = await skewedServer(0);
    const result = await skewguard(["doctor", "error", "--json", "--check-clock", "-n", "2"], {
      stdin: stdinOf(pasteFor(origin)),
    });
    const report = result.json<CheckReport>();
    expect(report.diagnosis.cause).toBe("secret-key-mismatch");
    expect(report.diagnosis.candidates?.map((c) => c.cause)).toEqual(["request-changed"]);
  });

  it("an endpoint given on the command line wins; none at all is said, not guessed", async () => {
    const origin = await skewedServer(-10 * MINUTE);
    const given = await skewguard(
      ["doctor", "error", "--json", "--check-clock", origin, "-n", "2"],
      {
        stdin: stdinOf(
          "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: x",
        ),
      },
    );
    expect(given.json<CheckReport>().diagnosis.cause).toBe("clock-ahead");
    const none = await skewguard(["doctor", "error", "--json", "--check-clock"], {
      stdin: stdinOf(
        "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: x",
      ),
      fetch: async () => {
        throw new Error("no endpoint: nothing may be contacted");
      },
    });
    expect(none.code).toBe(1);
    expect(none.json<CheckReport>().notes.join(" ")).toMatch(
      /measured nothing: the input names no endpoint/,
    );
  });
});

describe("skewguard doctor error: uncertain answers", () => {
  it("lists the causes not ruled out with their checks, what it read, and what to paste", async () => {
    const result = await skewguard(["doctor", "error"], {
      stdin: stdinOf(
        "2026/12/07 10:27:00 operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: R, HostID: H, api error SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
      ),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("unknown (confidence low)");
    expect(result.stdout).toMatch(
      /Possible causes \(most likely first\)\n {2}1\. secret-key-mismatch: Compare the server's StringToSign/,
    );
    expect(result.stdout).toMatch(/clock-behind: `skewguard skew <endpoint>`/);
    expect(result.stdout).toContain("For a surer answer, paste");
    expect(result.stdout).toContain("Read: AWS SDK for Go v2 error");
    expect(result.stdout).not.toContain("Fixing the clock: it was already right");
  });

  it("text that names no error: exit 2, saying what to paste", async () => {
    const prose = await skewguard(["doctor", "error"], { stdin: stdinOf("it broke again") });
    expect(prose.code).toBe(2);
    expect(prose.stderr).toContain("Paste the failure as you have it");
  });
});
