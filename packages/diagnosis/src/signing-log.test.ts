import { describe, expect, it } from "vitest";
import { readSigningLog } from "./signing-log.js";

const CANONICAL = [
  "GET",
  "/k",
  "",
  "host:b.s3.amazonaws.com",
  "x-amz-date:20261207T102233Z",
  "",
  "host;x-amz-date",
  "UNSIGNED-PAYLOAD",
].join("\n");
const STS = [
  "AWS4-HMAC-SHA256",
  "20261207T102233Z",
  "20261207/eu-west-1/s3/aws4_request",
  "7b7ac18ef160e14e625d3d6950213235caff6297666edc01493a8625130e19ff",
].join("\n");

describe("readSigningLog", () => {
  it("reads botocore's canonical request and string to sign, not the log lines around them", () => {
    const text = `2026-12-07 10:22:33,501 - botocore.auth - DEBUG - CanonicalRequest:\n${CANONICAL}\n2026-12-07 10:22:33,502 - botocore.auth - DEBUG - StringToSign:\n${STS}\n2026-12-07 10:22:33,502 - botocore.auth - DEBUG - Signature:\n1111`;
    const log = readSigningLog(text);
    expect(log.canonicalRequest).toBe(CANONICAL);
    expect(log.stringToSign).toBe(STS);
    expect(log.signingLine).toBe(0);
    expect(log.requestTimeMs).toBe(Date.parse("2026-12-07T10:22:33Z"));
  });

  it("reads the Java SDK's same-line form", () => {
    const text = `DEBUG AbstractAws4Signer : AWS4 Canonical Request: ${CANONICAL}\nDEBUG AbstractAws4Signer : AWS4 String to sign: ${STS}\nDEBUG wire`;
    const log = readSigningLog(text);
    expect(log.canonicalRequest).toBe(CANONICAL);
    expect(log.stringToSign).toBe(STS);
  });

  it("reads an Azure SharedKey string to sign with its blank lines, up to the resource and its query lines", () => {
    const sharedKey = [
      "GET",
      ...Array(11).fill(""),
      "x-ms-date:Mon, 07 Dec 2026 12:40:05 GMT",
      "x-ms-version:2025-01-05",
      "/acct/c",
      "comp:list",
      "restype:container",
    ].join("\n");
    const log = readSigningLog(`StringToSign:\n${sharedKey}\n\nInvoke-WebRequest : failed`);
    expect(log.stringToSign).toBe(sharedKey);
    expect(log.requestTimeMs).toBe(Date.parse("2026-12-07T12:40:05Z"));
  });

  it("reads the Authorization header: algorithm, key id, scope, signed headers; and the session token", () => {
    const log = readSigningLog(
      "'Authorization': b'AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20261207/us-west-2/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=9999'",
    );
    expect(log).toMatchObject({
      algorithm: "AWS4-HMAC-SHA256",
      accessKeyId: "ASIAIOSFODNN7EXAMPLE",
      scopeDate: "20261207",
      region: "us-west-2",
      service: "dynamodb",
      signedHeaders: ["content-type", "host", "x-amz-date"],
    });
    expect(log.sessionToken).toBeUndefined();
    expect(readSigningLog("X-Amz-Security-Token: abc").sessionToken).toBe(true);
  });

  it("refuses a string to sign that is not one", () => {
    const log = readSigningLog("StringToSign:\nAWS4-HMAC-SHA256\nnot a date\nscope\nhash");
    expect(log.stringToSign).toBeUndefined();
  });
});
