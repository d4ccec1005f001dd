import { describe, expect, it } from "vitest";
import { diagnosePasted, readPastedFailure } from "./pasted-failure.js";

const clock = { now: () => Date.parse("2026-12-07T18:00:00Z") };

describe("readPastedFailure", () => {
  it("reads text that only names an error code, saying what it read and what to paste instead", () => {
    const failure = readPastedFailure(
      "2026/12/07 10:27:00 operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: R, HostID: H, api error SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
      undefined,
      { clock },
    );
    expect(failure).toMatchObject({
      provider: "s3",
      shape: "sdk-error-text",
      statusInferred: false,
    });
    expect(failure?.facts.code).toBe("SignatureDoesNotMatch");
    expect(failure?.recognised).toContain("AWS SDK for Go v2 error");
    expect(failure?.pasteInstead.join(" ")).toMatch(/Date header/);
    expect(failure?.pasteInstead.join(" ")).toMatch(/debug log/);
  });

  it("is undefined only for text that names no error at all", () => {
    expect(readPastedFailure("hello world")).toBeUndefined();
    expect(readPastedFailure("")).toBeUndefined();
    expect(readPastedFailure("it failed: AccessDenied")?.facts.code).toBe("AccessDenied");
  });

  it("names the endpoint: from a URL, a Host header, or the token endpoint", () => {
    expect(
      readPastedFailure(
        "$ curl -i http://127.0.0.1:9000/b/k\nHTTP/1.1 403 Forbidden\n\n<Error><Code>SignatureDoesNotMatch</Code></Error>",
      )?.endpoint,
    ).toBe("http://127.0.0.1:9000");
    expect(
      readPastedFailure(
        "> GET / HTTP/1.1\n> Host: s3.eu-west-1.amazonaws.com\n>\n< HTTP/1.1 403\n<\nSignatureDoesNotMatch",
      )?.endpoint,
    ).toBe("https://s3.eu-west-1.amazonaws.com");
    expect(
      readPastedFailure('{"error":"invalid_grant","error_description":"Invalid JWT"}')?.endpoint,
    ).toBe("https://oauth2.googleapis.com");
  });

  it("reads what the client signed from a presigned URL in the command line, without its signature", () => {
    const failure = readPastedFailure(
      "$ curl -i 'https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T113000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789'\nHTTP/1.1 403 Forbidden\n\n<Error><Code>InvalidAccessKeyId</Code></Error>",
    );
    expect(failure?.observation.presigned).toBe(true);
    expect(failure?.observation.signed).toMatchObject({
      accessKeyId: "ASIAIOSFODNN7EXAMPLE",
      region: "us-east-1",
      sessionToken: false,
      signedHeaders: ["host"],
    });
    expect(failure?.observation.signed?.url).not.toContain("abcdef0123456789");
  });

  it("never throws, whatever the text", () => {
    for (const text of [
      "<Error>".repeat(3000),
      "{".repeat(5000),
      "HTTP/1.1 403\n".repeat(3000),
      "\u0000\uFFFF",
    ]) {
      expect(() => readPastedFailure(text)).not.toThrow();
    }
  });
});

describe("diagnosePasted", () => {
  it("folds a clock measurement in: the same bare failure, with and without --check-clock", () => {
    const text =
      "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: The request signature we calculated does not match the signature you provided.";
    expect(diagnosePasted(text, { clock })?.diagnosis.cause).toBe("unknown");
    const estimate = {
      offsetMs: 600_000,
      lowMs: 599_900,
      highMs: 600_100,
      samples: 4,
      updatedAt: 0,
    };
    expect(diagnosePasted(text, { clock, estimate })?.diagnosis.cause).toBe("clock-behind");
  });
});
