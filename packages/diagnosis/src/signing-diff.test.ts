import { describe, expect, it } from "vitest";
import {
  diffCanonicalRequest,
  diffStringToSign,
  parseAmzDate,
  parseV4StringToSign,
} from "./signing-diff.js";

const STS = [
  "AWS4-HMAC-SHA256",
  "20261123T100000Z",
  "20261123/us-east-1/s3/aws4_request",
  "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
].join("\n");

const CANONICAL = [
  "PUT",
  "/bucket/my%20key",
  "",
  "host:127.0.0.1:9000",
  "x-amz-content-sha256:UNSIGNED-PAYLOAD",
  "x-amz-date:20261123T100000Z",
  "",
  "host;x-amz-content-sha256;x-amz-date",
  "UNSIGNED-PAYLOAD",
].join("\n");

describe("diffStringToSign", () => {
  it("finds nothing in identical strings", () => {
    expect(diffStringToSign(STS, STS)).toBeUndefined();
  });

  it("names the date, the region, the algorithm and the hash", () => {
    expect(diffStringToSign(STS, STS.replace("T100000Z", "T102000Z"))).toEqual({
      field: "date",
      client: "20261123T100000Z",
      server: "20261123T102000Z",
    });
    expect(diffStringToSign(STS, STS.replace("us-east-1", "eu-west-1"))?.field).toBe(
      "scope.region",
    );
    expect(diffStringToSign(STS, STS.replace("/s3/", "/s3-object-lambda/"))?.field).toBe(
      "scope.service",
    );
    expect(
      diffStringToSign(STS, STS.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"))?.field,
    ).toBe("algorithm");
    expect(diffStringToSign(STS, STS.replace("9e0e", "0000"))?.field).toBe(
      "canonical-request-hash",
    );
  });

  it("reads Azure SharedKey strings field by field", () => {
    const client = [
      "PUT",
      "",
      "",
      "5",
      "",
      "text/plain",
      "",
      "",
      "",
      "",
      "",
      "",
      "x-ms-date:Mon, 23 Nov 2026 10:00:00 GMT",
      "x-ms-version:2025-01-05",
      "/acct/c/b",
    ].join("\n");
    expect(
      diffStringToSign(client, client.replace("text/plain", "application/octet-stream"))?.field,
    ).toBe("content-type");
    expect(diffStringToSign(client, client.replace("10:00:00", "10:20:00"))?.field).toBe(
      "header:x-ms-date",
    );
    expect(diffStringToSign(client, client.replace("/acct/c/b", "/acct/c/b%20"))?.field).toBe(
      "canonicalized-resource",
    );
  });
});

describe("diffCanonicalRequest", () => {
  it("names path encoding, a rewritten header, signed headers and the payload hash", () => {
    expect(diffCanonicalRequest(CANONICAL, CANONICAL.replace("my%20key", "my+key"))).toEqual({
      field: "path",
      client: "/bucket/my%20key",
      server: "/bucket/my+key",
    });
    expect(
      diffCanonicalRequest(
        CANONICAL,
        CANONICAL.replace("host:127.0.0.1:9000", "host:proxy.internal"),
      )?.field,
    ).toBe("header:host");
    const tail = CANONICAL.replace(
      /UNSIGNED-PAYLOAD$/,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(diffCanonicalRequest(CANONICAL, tail)?.field).toBe("payload-hash");
    expect(diffCanonicalRequest(CANONICAL, CANONICAL.replace("\n\n", "\nx=1\n"))?.field).toBe(
      "query",
    );
  });
});

describe("parseV4StringToSign / parseAmzDate", () => {
  it("reads the scope and the date, and rejects what is not V4", () => {
    expect(parseV4StringToSign(STS)).toMatchObject({
      region: "us-east-1",
      service: "s3",
      date: "20261123T100000Z",
    });
    expect(parseV4StringToSign("GET\n\n\nMon, 23 Nov 2026\n/bucket/key")).toBeUndefined();
    expect(parseAmzDate("20261123T100000Z")).toBe(Date.UTC(2026, 10, 23, 10));
    expect(parseAmzDate("20260230T100000Z")).toBeUndefined();
    expect(parseAmzDate("garbage")).toBeUndefined();
  });
});
