import { describe, expect, it } from "vitest";
import { azureError, azureTime } from "./azure-errors.js";
import { clockCheck, startAzureSkewProxy } from "./azure-skew-proxy.js";
import { httpDate } from "./server-clock.js";

const MINUTE = 60_000;
const NOW = Date.parse("2026-11-23T10:00:00Z");

describe("clockCheck", () => {
  const signed = (date: string, method = "GET") => ({
    method,
    url: "/devstoreaccount1/c/b",
    headers: { authorization: "SharedKey devstoreaccount1:abc=", "x-ms-date": date },
  });

  it("forwards a SharedKey request inside 15 minutes either way", () => {
    expect(clockCheck(signed(httpDate(NOW - 14 * MINUTE)), NOW, 15 * MINUTE)).toBeUndefined();
    expect(clockCheck(signed(httpDate(NOW + 14 * MINUTE)), NOW, 15 * MINUTE)).toBeUndefined();
  });

  it("answers a stale x-ms-date with the service's AuthenticationFailed", () => {
    const date = httpDate(NOW - 20 * MINUTE);
    const error = clockCheck(signed(date), NOW, 15 * MINUTE);
    expect(error?.status).toBe(403);
    expect(error?.headers["x-ms-error-code"]).toBe("AuthenticationFailed");
    expect(error?.headers.date).toBe(httpDate(NOW));
    expect(error?.body).toContain(`<Code>AuthenticationFailed</Code>`);
    expect(error?.body).toContain(`Time:${azureTime(NOW)}</Message>`);
    expect(error?.body).toContain(
      `<AuthenticationErrorDetail>Request date header too old: '${date}'</AuthenticationErrorDetail>`,
    );
    expect(azureTime(NOW)).toBe("2026-11-23T10:00:00.0000000Z");
  });

  it("says 'not yet valid' for a date ahead, and sends no body to a HEAD", () => {
    const error = clockCheck(signed(httpDate(NOW + 20 * MINUTE), "HEAD"), NOW, 15 * MINUTE);
    expect(error?.status).toBe(403);
    expect(error?.body).toBe("");
    expect(error?.headers["x-ms-error-code"]).toBe("AuthenticationFailed");
    const get = clockCheck(signed(httpDate(NOW + 20 * MINUTE)), NOW, 15 * MINUTE);
    expect(get?.body).toContain("Request date header not yet valid:");
  });

  it("checks a SAS window on its clock and quotes Start, Expiry and Current", () => {
    const sas = (st: string, se: string) => ({
      method: "GET",
      url: `/devstoreaccount1/c/b?sv=2025-01-05&st=${st}&se=${se}&sr=b&sp=r&sig=x`,
      headers: {},
    });
    const st = "2026-11-23T10:05:00Z";
    const se = "2026-11-23T10:20:00Z";
    expect(clockCheck(sas(st, se), NOW + 10 * MINUTE, 15 * MINUTE)).toBeUndefined();
    const early = clockCheck(sas(st, se), NOW, 15 * MINUTE);
    expect(early?.body).toContain(
      "Signature not valid in the specified time frame: Start [Mon, 23 Nov 2026 10:05:00 GMT] - Expiry [Mon, 23 Nov 2026 10:20:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT]",
    );
    expect(clockCheck(sas(st, se), NOW + 21 * MINUTE, 15 * MINUTE)?.status).toBe(403);
  });
});

const PERMISSION_MISMATCH = {
  status: 403,
  code: "AuthorizationPermissionMismatch",
  message: "This request is not authorized to perform this operation using this permission.",
};

describe("azureError", () => {
  it("builds any service error: Message with RequestId and Time, no detail unless given", () => {
    const error = azureError(NOW, PERMISSION_MISMATCH, "GET");
    expect(error.status).toBe(403);
    expect(error.headers["x-ms-error-code"]).toBe("AuthorizationPermissionMismatch");
    expect(error.headers.date).toBe(httpDate(NOW));
    expect(error.body).toBe(
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>${PERMISSION_MISMATCH.message}\nRequestId:${error.headers["x-ms-request-id"]}\nTime:2026-11-23T10:00:00.0000000Z</Message></Error>`,
    );
    expect(error.headers["content-length"]).toBe(String(Buffer.byteLength(error.body)));
    expect(azureError(NOW, PERMISSION_MISMATCH, "HEAD").body).toBe("");
  });
});

describe("the cannedError fault", () => {
  // The proxy answers these itself: the target is never reached, so nothing listens there.
  const proxyWith = (clockOffsetMs: number) =>
    startAzureSkewProxy({
      target: "http://127.0.0.1:9",
      clockOffsetMs,
      idleTimeoutMs: 0,
      faults: { cannedError: PERMISSION_MISMATCH },
    });
  const signedAt = (ms: number, method = "GET") => ({
    method,
    headers: { authorization: "SharedKey devstoreaccount1:abc=", "x-ms-date": httpDate(ms) },
  });

  it("answers a request that passes the clock check with the error, on the proxy's clock", async () => {
    const proxy = await proxyWith(10 * MINUTE);
    try {
      const response = await fetch(`${proxy.origin}/devstoreaccount1/c/b`, signedAt(Date.now()));
      expect(response.status).toBe(403);
      expect(response.headers.get("x-ms-error-code")).toBe("AuthorizationPermissionMismatch");
      const body = await response.text();
      expect(body).toContain(`<Message>${PERMISSION_MISMATCH.message}\nRequestId:`);
      const time = /Time:(\S+)<\/Message>/.exec(body)?.[1] ?? "";
      const served = Date.parse(response.headers.get("date") ?? "");
      // Both read the proxy's clock, 10 minutes ahead of the one that signed.
      expect(Math.abs(Date.parse(time) - served)).toBeLessThan(2_000);
      expect(served - Date.now()).toBeGreaterThan(9 * MINUTE);
      const head = await fetch(
        `${proxy.origin}/devstoreaccount1/c/b`,
        signedAt(Date.now(), "HEAD"),
      );
      expect(head.status).toBe(403);
      expect(await head.text()).toBe("");
      expect(proxy.log.map((e) => [e.method, e.status, e.code, e.rejectedByProxy])).toEqual([
        ["GET", 403, "AuthorizationPermissionMismatch", true],
        ["HEAD", 403, "AuthorizationPermissionMismatch", true],
      ]);
      expect(proxy.log[0]?.requestId).toBe(response.headers.get("x-ms-request-id"));
    } finally {
      await proxy.close();
    }
  });

  it("comes after the clock check: a request outside the window still gets AuthenticationFailed", async () => {
    const proxy = await proxyWith(20 * MINUTE);
    try {
      const response = await fetch(`${proxy.origin}/devstoreaccount1/c/b`, signedAt(Date.now()));
      expect(response.status).toBe(403);
      expect(response.headers.get("x-ms-error-code")).toBe("AuthenticationFailed");
      expect(proxy.log[0]).toMatchObject({ code: "AuthenticationFailed", rejectedByProxy: true });
    } finally {
      await proxy.close();
    }
  });
});
