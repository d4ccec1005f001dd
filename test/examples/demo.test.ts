import { connect } from "node:net";
import { AZURITE_ACCOUNT_KEY, DEFAULT_CREDENTIALS, testServiceAccount } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { type ProviderSummary, main } from "../../examples/demo/main.mjs";
import { until } from "../until.js";

const MINUTE = 60_000;
const RECOVERY = ["skew.detected", "skew.corrected", "request.resigned", "request.recovered"];

/** Listening servers, or open connections, of this process (servers left running show here). */
const handles = (kind: "TCPServerWrap" | "TCPSocketWrap") =>
  process.getActiveResourcesInfo().filter((r) => r === kind).length;
/** Whether anything still accepts connections at `host:port`. */
function listening(hostPort: string): Promise<boolean> {
  const { hostname, port } = new URL(`http://${hostPort}`);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** One turn of the event loop: the handles closed during the last one have been freed by then. */
const loopTurn = () => new Promise((resolve) => setImmediate(resolve));

const attemptsOf = (run: { calls: { attempts: number }[] }) => run.calls.map((c) => c.attempts);
const typesOf = (events: { type: string }[]) => events.map((e) => e.type);

function expectRecoveredAt(summary: ProviderSummary, offsetMs: number): void {
  expect(summary.serverOffsetMs).toBe(offsetMs);
  expect(typesOf(summary.wrapped.events)).toEqual(RECOVERY);
  const recovered = summary.wrapped.events.find((e) => e.type === "request.recovered");
  expect(Math.abs((recovered?.offsetMs ?? 0) - offsetMs)).toBeLessThan(3_000);
  // The wrong key is diagnosed as such, not resent, and the call fails.
  expect(summary.wrongKey.ok).toBe(false);
  expect(summary.wrongKey.attempts).toBe(1);
  const diagnosed = summary.wrongKey.events.find((e) => e.type === "signature.diagnosed");
  expect(diagnosed?.type === "signature.diagnosed" && diagnosed.diagnosis.cause).toBe(
    "secret-key-mismatch",
  );
  expect(typesOf(summary.wrongKey.events)).not.toContain("request.resigned");
  expect(summary.events).toEqual([...summary.wrapped.events, ...summary.wrongKey.events]);
}

describe("examples/demo", () => {
  it("bare SDKs fail on skewed servers, skewguard recovers, output is readable and secret-free", async () => {
    const printed: string[] = [];
    const serversBefore = handles("TCPServerWrap");
    const connectionsBefore = handles("TCPSocketWrap");
    const summary = await main({ print: (line) => printed.push(line) });
    const text = printed.join("\n");

    // S3, +20 min: the stream upload cannot be resent; the SDK's 240 s rule then retries 404s.
    expect(summary.s3.bare.ok).toBe(false);
    expect(attemptsOf(summary.s3.bare)).toEqual([1, 3, 3]);
    expect(summary.s3.bare.calls[0]).toMatchObject({ ok: false, outcome: "RequestTimeTooSkewed" });
    expect(summary.s3.wrapped.ok).toBe(true);
    expect(attemptsOf(summary.s3.wrapped)).toEqual([2, 1, 1]);
    expect(summary.s3.wrapped.calls[2]).toMatchObject({ ok: true, outcome: "NoSuchKey" });
    expectRecoveredAt(summary.s3, 20 * MINUTE);

    // Azure, -25 min: every SharedKey request refused, never retried.
    expect(summary.azure.bare).toMatchObject({ ok: false, attempts: 3 });
    expect(summary.azure.bare.calls.map((c) => c.outcome)).toEqual(
      Array(3).fill("AuthenticationFailed"),
    );
    expect(summary.azure.wrapped.ok).toBe(true);
    expect(attemptsOf(summary.azure.wrapped)).toEqual([2, 1, 1]);
    expectRecoveredAt(summary.azure, -25 * MINUTE);

    // GCS, +70 min: no token; wrapped, the grant is resent once, then the API call.
    expect(summary.gcs.bare.ok).toBe(false);
    expect(summary.gcs.bare.calls.map((c) => c.outcome)).toEqual(Array(3).fill("invalid_grant"));
    expect(summary.gcs.wrapped.ok).toBe(true);
    expect(attemptsOf(summary.gcs.wrapped)).toEqual([3, 1, 1]);
    expectRecoveredAt(summary.gcs, 70 * MINUTE);

    // What a user reads: the SDKs' own error text, the tables, the events and a diagnosis.
    expect(text).toContain(
      "RequestTimeTooSkewed: The difference between the request time and the current time is too large.",
    );
    expect(text).toMatch(/AuthenticationFailed: "Request date header not yet valid/);
    expect(text).toContain("invalid_grant: Invalid JWT: Token must be a short-lived token");
    expect(text).toMatch(
      /upload report\.csv \(stream\)\s+1 attempt\s+FAILED RequestTimeTooSkewed\s+2 attempts\s+ok/,
    );
    expect(text).toMatch(/total\s+3 attempts\s+FAILED\s+5 attempts\s+ok/);
    expect(text).toMatch(/request\.recovered\s+CreateContainer\s+in 2 attempts/);
    expect(text).toMatch(/signature\.diagnosed\s+token\.grant\s+secret-key-mismatch/);
    expect(text).toContain("first fix: ");
    expect(text).toContain("== 2. Learning a server's clock");
    expect(text).toContain("jwt-clock-skew (high)");

    // No secret, key, token or signature in the printout.
    const privateKeyLines = testServiceAccount()
      .private_key.split("\n")
      .filter((line) => line.length > 20 && !line.startsWith("-----"));
    for (const secret of [
      ...Object.values(DEFAULT_CREDENTIALS),
      AZURITE_ACCOUNT_KEY,
      ...privateKeyLines,
      "PRIVATE KEY",
      "Bearer ",
      "ya29.",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/); // a JWT
    expect(text).not.toMatch(/Signature=[0-9a-f]{64}/); // a SigV4 signature
    expect(text).not.toMatch(/'[A-Za-z0-9+/]{43}='/); // Azure's quoted MAC signature
    expect(text).toContain("[REDACTED]");

    // Every server it started is stopped again: nothing answers where the clients were sent
    // (the S3 server and the Azure proxy do not keep the process alive, so only this shows
    // them), and no listening handle is left, Azurite's included. A server's close() resolves
    // before libuv frees its handle, in the close phase of that loop turn: two turns later it
    // is gone, while a server left running (they idle out only after 60 s) would still be there.
    const endpoints = new Set(
      [summary.s3, summary.azure, summary.gcs].map((p) => p.wrapped.events[0]?.host ?? ""),
    );
    expect(endpoints.size).toBe(3);
    for (const endpoint of endpoints) expect(await listening(endpoint)).toBe(false);
    await loopTurn();
    await loopTurn();
    expect(handles("TCPServerWrap")).toBeLessThanOrEqual(serversBefore);
    // Their connections go as the closed servers' resets reach the clients.
    await until(() => handles("TCPSocketWrap") <= connectionsBefore);
  }, 60_000);
});
