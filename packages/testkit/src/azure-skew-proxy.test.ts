import { describe, expect, it } from "vitest";
import { azureTime } from "./azure-errors.js";
import { clockCheck } from "./azure-skew-proxy.js";
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
