import { describe, expect, it } from "vitest";
import {
  GCS_XML_EXPIRED_TOKEN,
  GCS_XML_NOT_YET_VALID,
  GCS_XML_SIGNATURE_DOES_NOT_MATCH,
  S3_CANONICAL_REQUEST,
  S3_REQUEST_HAS_EXPIRED,
  S3_REQUEST_TIME_TOO_SKEWED,
  S3_SIGNATURE_DOES_NOT_MATCH,
  S3_STRING_TO_SIGN,
} from "./error-bodies.fixture.js";
import { parseS3ErrorXml, readS3ErrorXml, readS3Fields, s3FieldsToFacts } from "./parse-s3.js";

const at = (iso: string) => Date.parse(iso);

describe("parseS3ErrorXml: S3", () => {
  it("reads RequestTimeTooSkewed's times and window", () => {
    expect(parseS3ErrorXml(S3_REQUEST_TIME_TOO_SKEWED)).toEqual({
      code: "RequestTimeTooSkewed",
      message: "The difference between the request time and the current time is too large.",
      requestId: "4442587FB7D0A2F9",
      requestTimeMs: at("2026-11-23T09:40:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00Z"),
      maxAllowedSkewMs: 900_000,
    });
  });

  it("reports a whole-second ServerTime as 1 s resolution", () => {
    expect(readS3ErrorXml(S3_REQUEST_TIME_TOO_SKEWED).serverTimeResolutionMs).toBe(1000);
  });

  it("reads SignatureDoesNotMatch's evidence, unescaping the canonical query", () => {
    expect(parseS3ErrorXml(S3_SIGNATURE_DOES_NOT_MATCH)).toEqual({
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      requestId: "9D1C4C2E8B7A6F50",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      stringToSign: S3_STRING_TO_SIGN,
      canonicalRequest: S3_CANONICAL_REQUEST,
      signatureProvided: "8f3d1a0e6c2b9f7e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
    });
  });

  it("keeps the string to sign byte for byte, including a CR sent as a character reference", () => {
    const body =
      "<Error><Code>SignatureDoesNotMatch</Code><StringToSign>AWS4-HMAC-SHA256&#xD;\nx </StringToSign></Error>";
    expect(parseS3ErrorXml(body).stringToSign).toBe("AWS4-HMAC-SHA256\r\nx ");
  });

  it("reads a presigned URL's expiry and the millisecond server time", () => {
    const parsed = readS3ErrorXml(S3_REQUEST_HAS_EXPIRED);
    expect(parsed.facts).toMatchObject({
      code: "AccessDenied",
      message: "Request has expired",
      expiresSeconds: 900,
      expiresAtMs: at("2026-11-23T09:55:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00.123Z"),
    });
    expect(parsed.serverTimeResolutionMs).toBe(1);
  });

  it("reads S3's epoch-millisecond X-Amz-Date of 'Request is not yet valid'", () => {
    const body =
      "<Error><Code>AccessDenied</Code><Message>Request is not yet valid</Message><X-Amz-Date>1795429500000</X-Amz-Date><Expires>2026-11-23T10:40:00Z</Expires><ServerTime>2026-11-23T10:00:00Z</ServerTime></Error>";
    expect(parseS3ErrorXml(body)).toMatchObject({
      requestTimeMs: 1795429500000,
      expiresAtMs: at("2026-11-23T10:40:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00Z"),
    });
  });

  it("reads a SigV2 RequestTime echoed with a +0000 zone", () => {
    const body =
      "<Error><Code>RequestTimeTooSkewed</Code><RequestTime>Mon, 23 Nov 2026 09:40:00 +0000</RequestTime><ServerTime>2026-11-23T10:00:00Z</ServerTime></Error>";
    expect(parseS3ErrorXml(body).requestTimeMs).toBe(at("2026-11-23T09:40:00Z"));
  });

  it("omits fields whose values are not what they claim", () => {
    const body =
      "<Error><Code>  </Code><ServerTime>yesterday</ServerTime><MaxAllowedSkewMilliseconds>-5</MaxAllowedSkewMilliseconds><X-Amz-Expires>9e99</X-Amz-Expires><RequestTime>soon</RequestTime></Error>";
    expect(parseS3ErrorXml(body)).toEqual({});
  });

  it("keeps codes that look like numbers as strings", () => {
    expect(parseS3ErrorXml("<Error><Code>403</Code><RequestId>1e5</RequestId></Error>")).toEqual({
      code: "403",
      requestId: "1e5",
    });
  });
});

describe("parseS3ErrorXml: GCS XML API", () => {
  it("reads SignatureDoesNotMatch with Details, StringToSign and CanonicalRequest", () => {
    const facts = parseS3ErrorXml(GCS_XML_SIGNATURE_DOES_NOT_MATCH);
    expect(facts.code).toBe("SignatureDoesNotMatch");
    expect(facts.message).toBe("Access denied.");
    expect(facts.detail).toMatch(/^The request signature we calculated does not match/);
    expect(facts.stringToSign).toBe(
      "GOOG4-RSA-SHA256\n20261123T100000Z\n20261123/auto/storage/goog4_request\na3005759c86a46a83f25f7e49c6ffa4de624aeb6f056b681b4791faf64977d5e",
    );
    expect(facts.canonicalRequest).toContain(
      "\nX-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=",
    );
    expect(facts.canonicalRequest?.endsWith("\n\nhost\nUNSIGNED-PAYLOAD")).toBe(true);
  });

  it("reads the expiry GCS states in the ExpiredToken details", () => {
    expect(parseS3ErrorXml(GCS_XML_EXPIRED_TOKEN)).toEqual({
      code: "ExpiredToken",
      message: "Invalid argument.",
      detail:
        "The provided token has expired. Request signature expired at: 2026-11-23T09:55:00+00:00",
      expiresAtMs: at("2026-11-23T09:55:00Z"),
    });
  });

  it("reads 'Request is not yet valid' as a detail", () => {
    expect(parseS3ErrorXml(GCS_XML_NOT_YET_VALID)).toEqual({
      code: "ExpiredToken",
      message: "Invalid argument.",
      detail: "Request is not yet valid.",
    });
  });
});

describe("parseS3ErrorXml: hostile and broken input", () => {
  it.each([
    ["empty", ""],
    ["not XML", "Access Denied"],
    ["a truncated document", S3_REQUEST_TIME_TOO_SKEWED.slice(0, 200)],
    ["a document without Error", "<ListBucketResult><Name>b</Name></ListBucketResult>"],
    ["an unclosed element", "<Error><Code>RequestTimeTooSkewed</Code>"],
    ["two roots", "<Error><Code>A</Code></Error><Error><Code>B</Code></Error>"],
    ["deep nesting", `<Error>${"<a>".repeat(200)}${"</a>".repeat(200)}</Error>`],
    ["a prototype-polluting name", "<Error><__proto__>x</__proto__></Error>"],
  ])("yields no facts for %s", (_, body) => {
    expect(parseS3ErrorXml(body)).toEqual({});
  });

  it("never expands DOCTYPE entities", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Error><Code>&c;</Code><Message>&a;</Message></Error>`;
    const facts = parseS3ErrorXml(laughs);
    expect(facts.code ?? "").not.toContain("aaaa");
    expect(facts.message ?? "").not.toContain("aaaa");
  });

  it("does not read past the byte cap", () => {
    const padded = S3_REQUEST_TIME_TOO_SKEWED.replace(
      "<Error>",
      `<Error><Padding>${"x".repeat(70 * 1024)}</Padding>`,
    );
    expect(parseS3ErrorXml(padded)).toEqual({});
  });
});

describe("s3FieldsToFacts", () => {
  it("reads the properties the AWS SDK copies from the body onto its error", () => {
    expect(
      s3FieldsToFacts({
        Code: "RequestTimeTooSkewed",
        message: "The difference between the request time and the current time is too large.",
        RequestTime: "20261123T094000Z",
        ServerTime: "2026-11-23T10:00:00Z",
        MaxAllowedSkewMilliseconds: "900000",
        RequestId: "4442587FB7D0A2F9",
        HostId: "vjQv...",
      }),
    ).toEqual({
      code: "RequestTimeTooSkewed",
      message: "The difference between the request time and the current time is too large.",
      requestTimeMs: at("2026-11-23T09:40:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00Z"),
      maxAllowedSkewMs: 900_000,
      requestId: "4442587FB7D0A2F9",
    });
  });

  it("reads signature evidence and keeps the ServerTime resolution", () => {
    const parsed = readS3Fields({
      Code: "SignatureDoesNotMatch",
      StringToSign: S3_STRING_TO_SIGN,
      CanonicalRequest: S3_CANONICAL_REQUEST,
      AWSAccessKeyId: "AKIAIOSFODNN7EXAMPLE",
      SignatureProvided: "abc",
      ServerTime: "2026-11-23T10:00:00.250Z",
    });
    expect(parsed.facts).toMatchObject({
      stringToSign: S3_STRING_TO_SIGN,
      canonicalRequest: S3_CANONICAL_REQUEST,
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      signatureProvided: "abc",
    });
    expect(parsed.serverTimeResolutionMs).toBe(1);
  });

  it("ignores non-string values, inherited names and throwing getters", () => {
    const fields = Object.create({ Code: "Inherited" }) as Record<string, string>;
    Object.defineProperty(fields, "ServerTime", { enumerable: true, value: 1795428000000 });
    expect(s3FieldsToFacts(fields)).toEqual({});
    const hostile = {} as Record<string, string>;
    Object.defineProperty(hostile, "Code", {
      get() {
        throw new Error("boom");
      },
    });
    expect(s3FieldsToFacts(hostile)).toEqual({});
  });
});
