import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "@skewguard/cli";
import { afterEach, describe, expect, it } from "vitest";
import {
  AZURE_MAC_MISMATCH,
  S3_SIGNATURE_DOES_NOT_MATCH,
} from "../../packages/diagnosis/src/error-bodies.fixture.js";
import { skewguard, stdinOf } from "./helpers.js";

/** `doctor error` reads at most this much (packages/cli/src/input.ts, documented in its README). */
const MAX_INPUT_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Standard input that never ends: `head` (an error body) then `fill` forever, made chunk by
 * chunk as the reader pulls, so the test holds a chunk, not gigabytes. Counts what was pulled
 * and whether the reader let go of it (ended the iteration).
 */
function endlessStdin(head: string, fill: string) {
  const counts = { pulledBytes: 0, chunks: 0, released: false };
  const chunk = Buffer.from(fill.repeat(Math.ceil(CHUNK_BYTES / fill.length))).subarray(
    0,
    CHUNK_BYTES,
  );
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      const first = Buffer.from(head);
      counts.pulledBytes += first.byteLength;
      counts.chunks++;
      yield first;
      for (;;) {
        counts.pulledBytes += chunk.byteLength;
        counts.chunks++;
        yield chunk;
      }
    } finally {
      counts.released = true;
    }
  }
  const stdin: CliIo["stdin"] = { [Symbol.asyncIterator]: generate };
  return { stdin, counts };
}

/** C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides and isolates. */
const RAW_CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("doctor error on input that does not end", () => {
  it("stops pulling standard input at 1 MiB, says so, and still diagnoses what it read", async () => {
    const { stdin, counts } = endlessStdin(`${S3_SIGNATURE_DOES_NOT_MATCH}\n`, " \n");
    const result = await skewguard(["doctor", "error", "-"], { stdin });
    expect(counts.pulledBytes).toBeGreaterThan(MAX_INPUT_BYTES);
    expect(counts.pulledBytes).toBeLessThanOrEqual(MAX_INPUT_BYTES + CHUNK_BYTES);
    expect(counts.released).toBe(true);
    expect(result.stderr).toContain("longer than 1 MiB: only its first 1 MiB was read");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("SignatureDoesNotMatch");
    console.info(
      `endless stdin: ${counts.pulledBytes} bytes pulled in ${counts.chunks} chunks (cap ${MAX_INPUT_BYTES})`,
    );
  });

  it("the same with --json: the notice goes to stderr, stdout stays one JSON document", async () => {
    const { stdin, counts } = endlessStdin(`${S3_SIGNATURE_DOES_NOT_MATCH}\n`, " ");
    const result = await skewguard(["doctor", "error", "-", "--json"], { stdin });
    expect(counts.pulledBytes).toBeLessThanOrEqual(MAX_INPUT_BYTES + CHUNK_BYTES);
    expect(result.stderr).toContain("only its first 1 MiB was read");
    expect(result.json<{ code: string }>().code).toBe("SignatureDoesNotMatch");
  });

  it("endless junk: exit 2, no error found, after 1 MiB", async () => {
    const { stdin, counts } = endlessStdin("", "junk ");
    const result = await skewguard(["doctor", "error", "-"], { stdin });
    expect(result.code).toBe(2);
    expect(counts.pulledBytes).toBeLessThanOrEqual(MAX_INPUT_BYTES + CHUNK_BYTES);
    expect(result.stderr).toMatch(/only its first 1 MiB was read[\s\S]*no S3, GCS or Azure error/);
  });

  it("input within the cap is read whole, without a notice", async () => {
    const result = await skewguard(["doctor", "error", "-"], {
      stdin: stdinOf(S3_SIGNATURE_DOES_NOT_MATCH + " ".repeat(MAX_INPUT_BYTES - 4096)),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
  });

  it("a file larger than the cap is read no further than the cap", async () => {
    const dir = await mkdtemp(join(tmpdir(), "skewguard-cli-"));
    dirs.push(dir);
    const path = join(dir, "huge.txt");
    await writeFile(path, S3_SIGNATURE_DOES_NOT_MATCH + " ".repeat(3 * MAX_INPUT_BYTES));
    // The real file system: no readFile override.
    const result = await skewguard(["doctor", "error", path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("only its first 1 MiB was read");
  });

  it("a secret cut by the input cap leaves nothing of itself", async () => {
    const signature = "8f3d1a0e6c2b9f7e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e";
    for (const into of [1, 20, 39, 63]) {
      const pad = " ".repeat(MAX_INPUT_BYTES - S3_SIGNATURE_DOES_NOT_MATCH.length - into);
      const text = `${S3_SIGNATURE_DOES_NOT_MATCH}${pad}${signature}${" tail".repeat(10)}`;
      const result = await skewguard(["doctor", "error", "-", "--json"], { stdin: stdinOf(text) });
      expect(result.stdout + result.stderr).not.toContain(signature.slice(0, 12));
      expect(result.code).toBe(1);
    }
  });
});

describe("doctor error on error bodies that carry terminal escapes", () => {
  // A title change (OSC), a screen clear, a colour, a carriage return that overwrites the line,
  // BEL, an 8-bit CSI, a right-to-left override, and a newline forging a line of the report.
  const HOSTILE = [
    "\u001b]0;pwned\u0007",
    "\u001b[2J",
    "\u001b[31mred",
    "\rOK",
    "\u009b31m",
    "\u202edrowssap",
    "\n✓ healthy: nothing to fix",
  ];
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch${HOSTILE[0]}</Code><Message>bad ${HOSTILE.join(" ")} end</Message><StringToSign>AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/s3/aws4_request${HOSTILE[1]}\n${"0".repeat(64)}</StringToSign></Error>`;

  it("human output shows them, never sends them", async () => {
    const result = await skewguard(["doctor", "error", "-"], { stdin: stdinOf(body) });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    // Shown, escaped, so the person sees what the server sent.
    expect(result.stdout).toContain("\\x1b]0;pwned\\x07");
    expect(result.stdout).toContain("\\x9b31m");
    expect(result.stdout).toContain("\\u202e");
    // No line of the report comes from the body.
    expect(result.stdout.split("\n").some((line) => line.startsWith("✓ healthy"))).toBe(false);
  });

  it("with colours on, only the command's own colours reach the terminal", async () => {
    const result = await skewguard(["doctor", "error", "-"], {
      stdin: stdinOf(body),
      env: { FORCE_COLOR: "1" },
    });
    const sequences = result.stdout.match(/\u001b\[[0-9;]*m/g) ?? [];
    expect(sequences.length).toBeGreaterThan(0);
    expect(result.stdout.replace(/\u001b\[[0-9;]*m/g, "")).not.toMatch(RAW_CONTROL);
    // The body's own colour is shown as text, not applied.
    expect(result.stdout).toContain("\\x1b[31mred");
  });

  it("--json keeps the exact text as JSON escapes, and writes no raw control character", async () => {
    const result = await skewguard(["doctor", "error", "-", "--json"], { stdin: stdinOf(body) });
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    const report = result.json<{ code: string; diagnosis: { evidence: { value: string }[] } }>();
    // ESC and BEL are not XML characters: the body is refused as XML (as a browser's DOMParser
    // refuses it) and read as text, where a code is the name alone; the message keeps them all.
    expect(report.code).toBe("SignatureDoesNotMatch");
    const message = report.diagnosis.evidence.map((e) => e.value).join(" ");
    expect(message).toContain("\u009b31m");
  });

  it("an Azure detail keeps its line breaks shown as ⏎, on one line", async () => {
    const result = await skewguard(["doctor", "error", "-"], {
      stdin: stdinOf(AZURE_MAC_MISMATCH),
    });
    const detail = result.stdout.split("\n").find((line) => line.trimStart().startsWith("detail"));
    expect(detail).toContain("⏎");
  });

  it("doctor url: control characters percent-encoded in a URL are shown, not sent", async () => {
    const url =
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%1B%5D0%3Bx%07%2F20261123%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261123T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host%0D%0A%E2%80%AE&X-Amz-Signature=00";
    const result = await skewguard(["doctor", "url", "--no-measure", url]);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stdout).toContain("\\x1b");
  });
});

describe("credentials in input that is no URL are never echoed", () => {
  const PASSWORD = "hunter2-Secret";
  const inputs = [
    `https://admin:${PASSWORD}@bucket.s3.amazonaws.com:99999/k?X-Amz-Signature=abc`,
    `https://admin:${PASSWORD}@[bad/k`,
    // Long enough that a 60-character cut would fall before the @.
    `https://a-very-long-user-name-for-the-proxy:${PASSWORD}${PASSWORD}@[bad`,
    `https://admin:pa/ss${PASSWORD}@bucket.s3.amazonaws.com:99999/k`,
    `admin:${PASSWORD}@bucket.s3.amazonaws.com:99999/k`,
    `ftp://admin:${PASSWORD}@host/k`,
  ];

  it.each(inputs)("doctor url %#", async (input) => {
    const result = await skewguard(["doctor", "url", "--no-measure", input]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a (signed )?URL/);
    expect(result.stdout + result.stderr).not.toContain("hunter2");
    expect(result.stdout + result.stderr).not.toContain("ss" + PASSWORD.slice(0, 4));
  });

  it.each(inputs.filter((i) => i.includes("[bad") || i.includes("99999")))(
    "skew %#",
    async (input) => {
      const result = await skewguard(["skew", "-n", "1", input]);
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).not.toContain("hunter2");
    },
  );
});

describe("skew on a host that does not resolve", () => {
  it("says the name did not resolve, after one attempt; exit 1 (a problem found)", async () => {
    // .invalid is reserved (RFC 6761): it never resolves, wherever the test runs.
    const result = await skewguard([
      "skew",
      "-n",
      "8",
      "--timeout",
      "5000",
      "nothing-here.invalid",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /no offset: nothing-here\.invalid did not resolve: check the name, or this machine's DNS/,
    );
    expect(result.stdout).toMatch(/nothing-here\.invalid (does not resolve|could not be resolved)/);
    expect(result.stdout).not.toContain("gave no usable Date header");
  });

  it("--json: failure unresolved, one attempt", async () => {
    const result = await skewguard(["skew", "--json", "nothing-here.invalid"]);
    expect(result.code).toBe(1);
    const report = result.json<{ failure: string; measured: boolean; attempts: unknown[] }>();
    expect(report).toMatchObject({ failure: "unresolved", measured: false });
    expect(report.attempts).toHaveLength(1);
  });

  it("reads undici's ENOTFOUND the same way whatever the DNS setup", async () => {
    const fetch = (async () => {
      const cause = Object.assign(new Error("getaddrinfo ENOTFOUND s3.example.invalid"), {
        code: "ENOTFOUND",
        hostname: "s3.example.invalid",
      });
      throw new TypeError("fetch failed", { cause });
    }) as typeof globalThis.fetch;
    const result = await skewguard(["skew", "s3.example.invalid"], { fetch });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("s3.example.invalid does not resolve (ENOTFOUND)");
  });
});
