import { describe, expect, it } from "vitest";
import { AWS_JSON_NOT_YET_CURRENT, AWS_JSON_SIGNATURE_EXPIRED } from "./error-bodies.fixture.js";
import {
  awsErrorTypeHeader,
  parseAwsJsonError,
  readAwsErrorMessage,
  readAwsJsonError,
} from "./parse-aws-protocols.js";

const at = (iso: string) => Date.parse(iso);

describe("AWS JSON protocols", () => {
  it("reads awsJson's __type and the times of 'Signature expired': signing time, server time, window", () => {
    expect(readAwsJsonError(AWS_JSON_SIGNATURE_EXPIRED)).toEqual({
      facts: {
        code: "InvalidSignatureException",
        message:
          "Signature expired: 20261123T094000Z is now earlier than 20261123T095500Z (20261123T100000Z - 5 min.)",
        requestTimeMs: at("2026-11-23T09:40:00Z"),
        serverTimeMs: at("2026-11-23T10:00:00Z"),
        maxAllowedSkewMs: 5 * 60_000,
      },
      serverTimeResolutionMs: 1000,
      timeSource: "aws-signature-message",
    });
  });

  it("reads 'Signature not yet current' (a clock ahead) and a capitalised Message", () => {
    expect(parseAwsJsonError(AWS_JSON_NOT_YET_CURRENT)).toMatchObject({
      code: "InvalidSignatureException",
      requestTimeMs: at("2026-11-23T10:20:00Z"),
      serverTimeMs: at("2026-11-23T10:00:00Z"),
      maxAllowedSkewMs: 5 * 60_000,
    });
  });

  it("reads restJson1's bare message; the code comes from x-amzn-ErrorType", () => {
    const body = JSON.stringify({
      message:
        "Signature expired: 20261123T094000Z is now earlier than 20261123T095500Z (20261123T100000Z - 15 min.)",
    });
    expect(parseAwsJsonError(body)).toMatchObject({
      serverTimeMs: at("2026-11-23T10:00:00Z"),
      maxAllowedSkewMs: 15 * 60_000,
    });
    expect(
      awsErrorTypeHeader({
        "x-amzn-errortype":
          "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
      }),
    ).toBe("InvalidSignatureException");
    expect(awsErrorTypeHeader({ "x-amzn-query-error": "SignatureDoesNotMatch;Sender" })).toBe(
      "SignatureDoesNotMatch",
    );
    expect(awsErrorTypeHeader({ "x-amzn-errortype": "x".repeat(300) })).toBeUndefined();
    expect(awsErrorTypeHeader({})).toBeUndefined();
  });

  it("reads the canonical request and string to sign a mismatch quotes", () => {
    const message =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/\n\nhost:dynamodb.us-east-1.amazonaws.com\nx-amz-date:20261123T100000Z\n\nhost;x-amz-date\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/dynamodb/aws4_request\ndef'\n";
    expect(readAwsErrorMessage(message).facts).toEqual({
      canonicalRequest:
        "POST\n/\n\nhost:dynamodb.us-east-1.amazonaws.com\nx-amz-date:20261123T100000Z\n\nhost;x-amz-date\nabc",
      stringToSign:
        "AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/dynamodb/aws4_request\ndef",
    });
  });

  it("reads Route 53's 'Request timestamp ... expired' as the request's time and window", () => {
    expect(
      readAwsErrorMessage(
        "Request timestamp: Thu, 11 Aug 2011 09:17:16 GMT expired.  It must be within 300 secs/ of server time.".replace(
          "  ",
          " ",
        ),
      ).facts,
    ).toEqual({ requestTimeMs: at("2011-08-11T09:17:16Z"), maxAllowedSkewMs: 300_000 });
  });

  it("is no evidence for other JSON, impossible dates or garbage, and never throws", () => {
    expect(parseAwsJsonError('{"error":{"code":401}}')).toEqual({});
    expect(parseAwsJsonError("[1,2]")).toEqual({});
    expect(parseAwsJsonError('{"message": "Signature expired: 20261399T250000Z is now')).toEqual(
      {},
    );
    expect(
      readAwsErrorMessage(
        "Signature expired: 20261332T000000Z is now earlier than 20261123T095500Z (20261123T100000Z - 5 min.)",
      ).facts,
    ).toEqual({});
    expect(readAwsErrorMessage(undefined).facts).toEqual({});
  });
});
