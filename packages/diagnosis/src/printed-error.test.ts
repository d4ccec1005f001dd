import { describe, expect, it } from "vitest";
import { mergePrinted, readPrintedErrors } from "./printed-error.js";

const read = (text: string) => mergePrinted(readPrintedErrors(text));

describe("readPrintedErrors", () => {
  it.each([
    [
      "botocore / AWS CLI",
      "botocore.exceptions.ClientError: An error occurred (SignatureDoesNotMatch) when calling the SendMessage operation: Signature not yet current: x",
      {
        code: "SignatureDoesNotMatch",
        operation: "SendMessage",
        message: "Signature not yet current: x",
      },
    ],
    [
      "AWS CLI with a bare status",
      "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden",
      { status: 403, operation: "HeadObject", message: "Forbidden" },
    ],
    [
      "Go v2",
      "operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: R80, HostID: H, api error SignatureDoesNotMatch: The request signature we calculated does not match",
      { code: "SignatureDoesNotMatch", status: 403, requestId: "R80", operation: "ListObjectsV2" },
    ],
    [
      "Go v1",
      "upload failed: InvalidRegionName: The region name 'cn-north-1' is not valid.\n\tstatus code: 400, request id: , host id: ",
      {
        code: "InvalidRegionName",
        status: 400,
        message: "The region name 'cn-north-1' is not valid.",
      },
    ],
    [
      "Java v1",
      "com.amazonaws.services.s3.model.AmazonS3Exception: The difference between the request time and the current time is too large. (Service: Amazon S3; Status Code: 403; Error Code: RequestTimeTooSkewed; Request ID: R77; S3 Extended Request ID: E)",
      { code: "RequestTimeTooSkewed", status: 403, requestId: "R77" },
    ],
    [
      "Java v2 (no code: inferred from the fixed message)",
      "software.amazon.awssdk.services.s3.model.S3Exception: The request signature we calculated does not match the signature you provided. (Service: S3, Status Code: 403, Request ID: R34)",
      { code: "SignatureDoesNotMatch", status: 403, requestId: "R34" },
    ],
    [
      "Azure .NET",
      "Azure.RequestFailedException: Server failed to authenticate the request.\nStatus: 403 (Server failed)\nErrorCode: AuthenticationFailed\n\nAdditional Information:\nAuthenticationErrorDetail: Request date header too old: 'Mon, 07 Dec 2026 14:58:02 GMT'",
      {
        code: "AuthenticationFailed",
        status: 403,
        detail: "Request date header too old: 'Mon, 07 Dec 2026 14:58:02 GMT'",
      },
    ],
    [
      "a Node error's first line",
      "ExpiredTokenException: The security token included in the request is expired\n    at throwDefaultError (/x.js:1:1)",
      {
        code: "ExpiredTokenException",
        message: "The security token included in the request is expired",
      },
    ],
    [
      "a generic Node Error naming the code inside",
      "Error: invalid_grant: Robot is disabled.\n    at Gaxios._request (/x.js:1:1)",
      { code: "invalid_grant", message: "Robot is disabled." },
    ],
    [
      "Go oauth2",
      'oauth2: "invalid_grant" "Invalid JWT: Token must be a short-lived token"',
      { code: "invalid_grant", message: "Invalid JWT: Token must be a short-lived token" },
    ],
    [
      "a log's [status] line",
      "[07-Dec-2026 10:31:12 UTC] PHP Warning:  S3::list(): [401] Unauthorized: SigV2 authorization is not supported. Please use SigV4 instead. in /var/www/S3.php on line 212",
      { status: 401, message: "SigV2 authorization is not supported. Please use SigV4 instead." },
    ],
    [
      "a status and the fixed message",
      "403 Forbidden: The request signature we calculated does not match the signature you provided.",
      { status: 403, code: "SignatureDoesNotMatch" },
    ],
    [
      "mc",
      "mc: <ERROR> Unable to list folder. The Access Key Id you provided does not exist in our records.",
      { code: "InvalidAccessKeyId" },
    ],
    [
      "a known code anywhere",
      'Error uploading: AuthorizationHeaderMalformed: the authorization component "/2026/x" is malformed.',
      { code: "AuthorizationHeaderMalformed" },
    ],
  ])("%s", (_name, text, expected) => {
    expect(read(text)).toMatchObject(expected);
  });

  it("reads nothing from text that names no error", () => {
    expect(read("all good: uploaded 3 files")).toBeUndefined();
  });
});
