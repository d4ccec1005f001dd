import { HttpResponse } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import { endpointKey, observeError } from "./observation.js";

const attempt = {
  host: "s3.example:9000",
  sentAt: 1000,
  receivedAt: 1100,
  offsetMs: 5,
  resent: false,
};

describe("endpointKey", () => {
  it("keys an endpoint by host and port, without a virtual-hosted bucket", () => {
    expect(endpointKey("127.0.0.1", 9000)).toBe("127.0.0.1:9000");
    expect(
      endpointKey("My-Bucket.s3.eu-west-1.amazonaws.com", undefined, "my-bucket", "/key"),
    ).toBe("s3.eu-west-1.amazonaws.com");
    // Path-style, for a bucket whose name is also the host's first label.
    expect(endpointKey("s3.amazonaws.com", undefined, "s3", "/s3/key")).toBe("s3.amazonaws.com");
  });
});

describe("observeError", () => {
  it("carries the parsed error body and the lower-cased headers", () => {
    const error = Object.assign(new Error("skewed"), {
      name: "RequestTimeTooSkewed",
      Code: "RequestTimeTooSkewed",
      ServerTime: "2026-11-23T10:50:00Z",
      $metadata: { httpStatusCode: 403 },
      $response: new HttpResponse({
        statusCode: 403,
        headers: { Date: "Mon, 23 Nov 2026 10:50:00 GMT" },
      }),
    });
    const obs = observeError(error, attempt);
    expect(obs).toMatchObject({
      provider: "s3",
      host: "s3.example:9000",
      status: 403,
      headers: { date: "Mon, 23 Nov 2026 10:50:00 GMT" },
      fields: { Code: "RequestTimeTooSkewed", ServerTime: "2026-11-23T10:50:00Z" },
      signed: { offsetMs: 5, signedAtMs: 1005 },
      resent: false,
    });
  });

  it("takes no code from a bodiless answer's invented error name", () => {
    const error = Object.assign(new Error("UnknownError"), {
      name: "Unknown",
      $response: new HttpResponse({ statusCode: 403, headers: {} }),
    });
    expect(observeError(error, attempt)?.fields).toEqual({});
  });

  it("is no observation without a response (a reset connection)", () => {
    expect(observeError(new Error("ECONNRESET"), attempt)).toBeUndefined();
    expect(observeError("nope", attempt)).toBeUndefined();
  });
});
