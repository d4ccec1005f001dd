// Shared by the scripts/readme-<pkg>-snippet.mjs files: run user code in the fresh project that
// installed the packed packages, and obtain real error responses from the testkit servers.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Runs a command to completion without blocking this process: the test servers live here and
 * must keep answering the child meanwhile. Resolves whatever the exit code; `input` goes to stdin.
 */
export function runCommand(command, args, { cwd, env = {}, input, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? signal, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/**
 * Writes `code` into the project as `fileName` and runs it there with plain `node`, so its
 * imports resolve to the installed packages only. Returns the JSON its last stdout line holds.
 */
export async function runUserCode(project, fileName, code, env = {}) {
  writeFileSync(join(project, fileName), code);
  const {
    code: exit,
    stdout,
    stderr,
  } = await runCommand("node", [fileName], { cwd: project, env });
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (exit !== 0) throw new Error(`${fileName} exited ${exit}:\n${stderr || stdout}`);
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${fileName} printed no JSON result:\n${stdout}\n${stderr}`);
  }
}

/** Throws with every failed expectation at once, so one run shows all that is wrong. */
export function expectAll(snippet, checks) {
  const failed = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  if (failed.length > 0) throw new Error(`${snippet}: ${failed.join("; ")}`);
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const hmac = (key, text) => createHmac("sha256", key).update(text).digest();

/**
 * What an S3 server answers a GET signed (SigV4, header auth) on this machine's clock: against
 * a testkit server whose clock is ahead, S3's own `RequestTimeTooSkewed` response, status,
 * headers and body as they came over the wire.
 */
export async function s3ResponseToLocalClock(server, { accessKeyId, secretAccessKey }) {
  const url = new URL("/reports/q4.csv", server.url);
  const sentAt = Date.now();
  const amzDate = new Date(sentAt)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const region = "us-east-1";
  const signedHeaders = "host;x-amz-content-sha256;x-amz-date";
  const canonicalRequest = [
    "GET",
    url.pathname,
    "",
    `host:${url.host}`,
    "x-amz-content-sha256:UNSIGNED-PAYLOAD",
    `x-amz-date:${amzDate}`,
    "",
    signedHeaders,
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${secretAccessKey}`, day);
  for (const part of [region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");
  const response = await fetch(url, {
    headers: {
      "x-amz-date": amzDate,
      "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
  });
  const body = await response.text();
  return {
    host: url.host,
    sentAt,
    receivedAt: Date.now(),
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body,
  };
}
