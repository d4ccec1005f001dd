import { describe, expect, it } from "vitest";
import { readSdkError } from "./sdk-error.js";

describe("readSdkError", () => {
  it("reads an AWS SDK v3 error: status, headers, and the body's elements as fields", () => {
    const error = Object.assign(new Error("skewed"), {
      name: "RequestTimeTooSkewed",
      Code: "RequestTimeTooSkewed",
      ServerTime: "2026-11-23T10:50:00Z",
      $metadata: { httpStatusCode: 403 },
      $response: { statusCode: 403, headers: { Date: "Mon, 23 Nov 2026 10:50:00 GMT" } },
    });
    expect(readSdkError(error)).toMatchObject({
      status: 403,
      headers: { date: "Mon, 23 Nov 2026 10:50:00 GMT" },
      fields: { Code: "RequestTimeTooSkewed", ServerTime: "2026-11-23T10:50:00Z" },
    });
  });

  it("takes no code from a bodiless answer's invented error name", () => {
    const error = Object.assign(new Error("UnknownError"), {
      name: "Unknown",
      $response: { statusCode: 403, headers: {} },
    });
    expect(readSdkError(error)?.fields).toEqual({});
  });

  it("takes the name of a JSON-protocol error, which has no Code element", () => {
    const error = Object.assign(new Error("Signature expired: 20261204T101500Z is now earlier"), {
      name: "InvalidSignatureException",
      $fault: "client",
      $metadata: { httpStatusCode: 400, requestId: "REQ1" },
    });
    expect(readSdkError(error)).toMatchObject({
      status: 400,
      headers: { "x-amz-request-id": "REQ1" },
      fields: { Code: "InvalidSignatureException" },
    });
  });

  it("reads an Azure RestError's details without re-serialising them", () => {
    const error = Object.assign(new Error("Server failed to authenticate the request."), {
      name: "RestError",
      statusCode: 403,
      code: "AuthenticationFailed",
      details: {
        errorCode: "AuthenticationFailed",
        authenticationErrorDetail: "Request date header too old: 'Fri, 04 Dec 2026 10:00:00 GMT'",
      },
    });
    expect(readSdkError(error)).toMatchObject({
      status: 403,
      document: { errorCode: "AuthenticationFailed" },
    });
  });

  it("reads a gaxios error's parsed reply as a document", () => {
    const error = {
      message: "invalid_grant",
      response: {
        status: 400,
        headers: new Headers({ Date: "Fri, 04 Dec 2026 10:00:00 GMT" }),
        data: { error: "invalid_grant", error_description: "Invalid JWT" },
      },
    };
    expect(readSdkError(error)).toMatchObject({
      status: 400,
      headers: { date: "Fri, 04 Dec 2026 10:00:00 GMT" },
      document: { error: "invalid_grant" },
    });
  });

  it("is undefined for what is no SDK error, and never throws", () => {
    expect(readSdkError(new Error("ECONNRESET"))).toBeUndefined();
    expect(readSdkError("nope")).toBeUndefined();
    const hostile = {
      get $metadata(): never {
        throw new Error("boom");
      },
    };
    expect(readSdkError(hostile)).toBeUndefined();
  });
});
