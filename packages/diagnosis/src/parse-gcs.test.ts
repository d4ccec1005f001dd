import { describe, expect, it } from "vitest";
import {
  GCS_INVALID_GRANT,
  GCS_INVALID_GRANT_DESCRIPTION,
  GCS_JSON_AUTH_ERROR,
} from "./error-bodies.fixture.js";
import { parseGcsErrorJson } from "./parse-gcs.js";

describe("parseGcsErrorJson", () => {
  it("reads a JSON API error, naming it by its first reason", () => {
    expect(parseGcsErrorJson(GCS_JSON_AUTH_ERROR)).toEqual({
      code: "authError",
      message: "Invalid Credentials",
    });
  });

  it("falls back to the status, then the HTTP code, when no reason is given", () => {
    expect(
      parseGcsErrorJson(
        JSON.stringify({
          error: { code: 403, message: "Forbidden", status: "PERMISSION_DENIED", errors: [] },
        }),
      ),
    ).toEqual({ code: "PERMISSION_DENIED", message: "Forbidden" });
    expect(parseGcsErrorJson('{"error":{"code":401,"message":"Unauthorized"}}')).toEqual({
      code: "401",
      message: "Unauthorized",
    });
  });

  it("reads the token endpoint's invalid_grant with its JWT time complaint", () => {
    expect(parseGcsErrorJson(GCS_INVALID_GRANT)).toEqual({
      code: "invalid_grant",
      message: GCS_INVALID_GRANT_DESCRIPTION,
      detail: GCS_INVALID_GRANT_DESCRIPTION,
    });
  });

  it("reads an OAuth error without a description", () => {
    expect(parseGcsErrorJson('{"error":"invalid_client"}')).toEqual({ code: "invalid_client" });
  });

  it("tolerates leading whitespace and a trailing newline", () => {
    expect(parseGcsErrorJson(`\n  ${GCS_INVALID_GRANT}\n`).code).toBe("invalid_grant");
  });

  it.each([
    ["empty", "", {}],
    ["not JSON", "<html>502 Bad Gateway</html>", {}],
    ["truncated", GCS_INVALID_GRANT.slice(0, 40), {}],
    ["an array", "[1,2,3]", {}],
    ["a string", '"invalid_grant"', {}],
    ["no error member", '{"access_token":"ya29.secret","expires_in":3599}', {}],
    ["an error of the wrong type", '{"error":42}', {}],
    ["wrongly typed members", '{"error":{"code":true,"message":7,"errors":[{"reason":5}]}}', {}],
    ["a body over the cap", `{"error":"invalid_grant","pad":"${"x".repeat(70 * 1024)}"}`, {}],
  ])("yields %s as no facts", (_, body, expected) => {
    expect(parseGcsErrorJson(body)).toEqual(expected);
  });

  it("yields nothing at all for malformed bodies", () => {
    expect(parseGcsErrorJson(GCS_JSON_AUTH_ERROR.slice(0, -1))).toEqual({});
    expect(parseGcsErrorJson("{")).toEqual({});
  });
});
