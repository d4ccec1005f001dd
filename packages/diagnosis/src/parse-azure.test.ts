import { describe, expect, it } from "vitest";
import {
  AZURE_DATE_TOO_OLD,
  AZURE_EXPIRY_BEFORE_START,
  AZURE_MAC_MISMATCH,
  AZURE_SAS_TIME_FRAME,
  AZURE_STRING_TO_SIGN,
  AZURITE_AUTHORIZATION_FAILURE,
} from "./error-bodies.fixture.js";
import {
  parseAzureAuthenticationDetail,
  parseAzureErrorXml,
  readAzureAuthenticationDetail,
  readAzureErrorXml,
} from "./parse-azure.js";

const at = (iso: string) => Date.parse(iso);

describe("parseAzureErrorXml", () => {
  it("reads code, request id and the 7-digit Time: of a stale x-ms-date", () => {
    const parsed = readAzureErrorXml(AZURE_DATE_TOO_OLD);
    expect(parsed.facts).toMatchObject({
      code: "AuthenticationFailed",
      requestId: "b0e5c2f4-601e-0070-1a2b-3c4d5e000000",
      serverTimeMs: at("2026-11-23T10:00:00.123Z"),
      requestTimeMs: at("2026-11-23T09:40:00Z"),
      detail: "Request date header too old: 'Mon, 23 Nov 2026 09:40:00 GMT'",
    });
    expect(parsed.facts.message).toMatch(/^Server failed to authenticate the request\./);
    expect(parsed.serverTimeResolutionMs).toBe(1);
  });

  it("reads the request time of an x-ms-date ahead of the server", () => {
    const facts = parseAzureAuthenticationDetail(
      "Request date header not yet valid: 'Mon, 23 Nov 2026 10:20:00 GMT'",
    );
    expect(facts.requestTimeMs).toBe(at("2026-11-23T10:20:00Z"));
  });

  it("reads a SAS time frame: start, expiry, and the server time (Time: wins over Current)", () => {
    const parsed = readAzureErrorXml(AZURE_SAS_TIME_FRAME);
    expect(parsed.facts).toMatchObject({
      startsAtMs: at("2026-11-23T10:05:00Z"),
      expiresAtMs: at("2026-11-23T11:05:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00.500Z"),
    });
    expect(parsed.serverTimeResolutionMs).toBe(1);
  });

  it("falls back to Current [...] at whole-second resolution when Time: is missing", () => {
    const body = AZURE_SAS_TIME_FRAME.replace(/\nTime:[^<]*/, "");
    const parsed = readAzureErrorXml(body);
    expect(parsed.facts.code).toBe("AuthenticationFailed");
    expect(parsed.facts.serverTimeMs).toBe(at("2026-11-23T10:00:00Z"));
    expect(parsed.serverTimeResolutionMs).toBe(1000);
  });

  it("reads a signed expiry before the signed start", () => {
    expect(parseAzureErrorXml(AZURE_EXPIRY_BEFORE_START)).toMatchObject({
      expiresAtMs: at("2026-11-23T09:40:00Z"),
      startsAtMs: at("2026-11-23T10:05:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00.000Z"),
    });
  });

  it("reads the string the server signed, newlines preserved", () => {
    const facts = parseAzureErrorXml(AZURE_MAC_MISMATCH);
    expect(facts.stringToSign).toBe(AZURE_STRING_TO_SIGN);
    expect(facts.signatureProvided).toBe("dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==");
  });

  it("keeps quotes inside the string to sign (a blob named it's.txt)", () => {
    const toSign =
      "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 23 Nov 2026 10:00:00 GMT\n/acct/c/it's.txt";
    const body = AZURE_MAC_MISMATCH.replace(AZURE_STRING_TO_SIGN, toSign.replace("'", "&apos;"));
    expect(parseAzureErrorXml(body).stringToSign).toBe(toSign);
  });

  it("reads Azurite's pretty-printed, 3-digit shape", () => {
    const parsed = readAzureErrorXml(AZURITE_AUTHORIZATION_FAILURE);
    expect(parsed.facts).toMatchObject({
      code: "AuthorizationFailure",
      requestId: "7d9c1f5e-3b2a-4c8d-9e0f-1a2b3c4d5e6f",
      serverTimeMs: at("2026-11-23T10:00:00.123Z"),
    });
    expect(parsed.facts.detail).toBeUndefined();
    expect(parsed.serverTimeResolutionMs).toBe(1);
  });

  it("reads a Message rendered with spaces instead of newlines", () => {
    const body =
      "<Error><Code>AuthenticationFailed</Code><Message> Server failed to authenticate the request. RequestId:159c33a8-0001-001e-3e4c-f15ade000000 Time:2026-11-23T10:00:00.7348778Z </Message></Error>";
    expect(parseAzureErrorXml(body)).toMatchObject({
      requestId: "159c33a8-0001-001e-3e4c-f15ade000000",
      serverTimeMs: at("2026-11-23T10:00:00.734Z"),
    });
  });

  it.each([
    ["empty", ""],
    ["truncated", AZURE_DATE_TOO_OLD.slice(0, 150)],
    ["a JSON body", '{"error":{"code":"AuthenticationFailed"}}'],
    ["binary", "\u0000\u0001\u00ff\ufffd<\u0000"],
  ])("yields no facts for %s", (_, body) => {
    expect(parseAzureErrorXml(body)).toEqual({});
  });

  it("ignores impossible dates in the detail", () => {
    const body = AZURE_SAS_TIME_FRAME.replace(
      "Mon, 23 Nov 2026 10:05:00 GMT",
      "Mon, 30 Feb 2026 10:05:00 GMT",
    );
    expect(parseAzureErrorXml(body).startsAtMs).toBeUndefined();
  });
});

describe("parseAzureAuthenticationDetail", () => {
  it("reads a detail on its own, as RestError carries it", () => {
    const parsed = readAzureAuthenticationDetail(
      "Signature not valid in the specified time frame: Start [Mon, 23 Nov 2026 10:05:00 GMT] - Expiry [Mon, 23 Nov 2026 11:05:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT]",
    );
    expect(parsed.facts).toMatchObject({
      startsAtMs: at("2026-11-23T10:05:00Z"),
      expiresAtMs: at("2026-11-23T11:05:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00Z"),
    });
    expect(parsed.serverTimeResolutionMs).toBe(1000);
  });

  it("skips an empty Start [] (a SAS without st)", () => {
    const facts = parseAzureAuthenticationDetail(
      "Signature not valid in the specified time frame: Start [] - Expiry [Mon, 23 Nov 2026 09:00:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT]",
    );
    expect(facts.startsAtMs).toBeUndefined();
    expect(facts.expiresAtMs).toBe(at("2026-11-23T09:00:00Z"));
  });

  it("reads a detail built to make patterns backtrack only up to the cap", () => {
    // Its parse time is measured by `pnpm bench` (scripts/bench-core.mjs). What the test can
    // check: only the first 64 KiB are looked at, so ten times the text gives the same answer.
    const hostile = "Start [Current [Expiry [Signed expiry time [".repeat(1500);
    // Cut at 64 KiB, less the word the cap went through.
    const { detail, ...rest } = parseAzureAuthenticationDetail(hostile);
    expect(rest).toEqual({});
    expect(hostile.startsWith(detail ?? "-")).toBe(true);
    expect(detail?.length).toBeGreaterThan(65536 - 20);
    expect(detail?.length).toBeLessThanOrEqual(65536);
    expect(parseAzureAuthenticationDetail(hostile.repeat(10))).toEqual({ detail });
  });

  it("yields nothing for an empty detail", () => {
    expect(parseAzureAuthenticationDetail("")).toEqual({});
  });
});
