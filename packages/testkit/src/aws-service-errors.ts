import { formatAmzDate } from "./sigv4.js";

/**
 * The error answers of the generic AWS service endpoint, in each protocol's own shape:
 *
 * - awsJson1_0 / awsJson1_1 (DynamoDB, SQS, Kinesis, KMS...): HTTP 400,
 *   `x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/`
 *   and `{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"..."}`.
 *   The time complaints are the front end's own wording, quoted in countless reports
 *   (aws/aws-sdk-js#254, aws/aws-sdk-js-v3#7605): "Signature expired: 20140325T143453Z is now
 *   earlier than 20140325T143751Z (20140325T145251Z - 15 min.)" and "Signature not yet
 *   current: X is still later than Y (Z + 5 min.)", X the request's signing time, Z the
 *   server's, Y the edge of the window. A signature mismatch quotes the canonical request and
 *   the string to sign the server computed. SQS speaks awsJson1_0 with the Query-compatible
 *   `x-amzn-query-error: <Code>;Sender` header its clients expect.
 * - awsQuery (STS, SNS, IAM...): `<ErrorResponse><Error><Type>Sender</Type><Code>...` with
 *   `SignatureDoesNotMatch` (HTTP 403) carrying the same time wording, or, when asked to,
 *   `RequestExpired` (HTTP 400) with EC2's "Request has expired.", which states no time.
 */

export type AwsProtocol = "awsJson1_0" | "awsJson1_1" | "awsQuery";

export interface AwsServiceError {
  status: number;
  /** The protocol-neutral code, e.g. `InvalidSignatureException`. */
  code: string;
  message: string;
}

/** A response to write: status, headers and body. */
export interface AwsServiceAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** `Signature expired` / `Signature not yet current`, or undefined when in the window. */
export function signatureTimeComplaint(
  signedAtMs: number,
  serverNowMs: number,
  windowMs: number,
): string | undefined {
  const minutes = `${Math.round(windowMs / 60_000)} min.`;
  const now = formatAmzDate(serverNowMs);
  if (signedAtMs < serverNowMs - windowMs) {
    const edge = formatAmzDate(serverNowMs - windowMs);
    return `Signature expired: ${formatAmzDate(signedAtMs)} is now earlier than ${edge} (${now} - ${minutes})`;
  }
  if (signedAtMs > serverNowMs + windowMs) {
    const edge = formatAmzDate(serverNowMs + windowMs);
    return `Signature not yet current: ${formatAmzDate(signedAtMs)} is still later than ${edge} (${now} + ${minutes})`;
  }
  return undefined;
}

/** What a time complaint is called in each protocol. */
export type QueryTimeError = "SignatureDoesNotMatch" | "RequestExpired";

/** The signing time is out of the server's window. */
export function signatureTimeError(
  protocol: AwsProtocol,
  complaint: string,
  queryStyle: QueryTimeError,
): AwsServiceError {
  if (protocol !== "awsQuery") {
    return { status: 400, code: "InvalidSignatureException", message: complaint };
  }
  if (queryStyle === "RequestExpired") {
    // EC2's wording, which names no time: only the `Date` header tells the server's clock.
    return { status: 400, code: "RequestExpired", message: "Request has expired." };
  }
  return { status: 403, code: "SignatureDoesNotMatch", message: complaint };
}

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** A signature that does not verify: the server's canonical request and string to sign. */
export function signatureMismatch(
  protocol: AwsProtocol,
  canonicalRequest: string,
  stringToSign: string,
): AwsServiceError {
  const message = `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`;
  return protocol === "awsQuery"
    ? { status: 403, code: "SignatureDoesNotMatch", message }
    : { status: 400, code: "InvalidSignatureException", message };
}

/** A scope, date or header problem the front end reports as a signature failure. */
export function invalidSignature(protocol: AwsProtocol, message: string): AwsServiceError {
  return protocol === "awsQuery"
    ? { status: 403, code: "SignatureDoesNotMatch", message }
    : { status: 400, code: "InvalidSignatureException", message };
}

export function unknownAccessKey(protocol: AwsProtocol): AwsServiceError {
  const message = "The security token included in the request is invalid.";
  return protocol === "awsQuery"
    ? { status: 403, code: "InvalidClientTokenId", message }
    : { status: 400, code: "UnrecognizedClientException", message };
}

export function missingAuthentication(protocol: AwsProtocol): AwsServiceError {
  return protocol === "awsQuery"
    ? {
        status: 403,
        code: "MissingAuthenticationToken",
        message: "Request is missing Authentication Token",
      }
    : {
        status: 400,
        code: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      };
}

export interface ErrorContext {
  protocol: AwsProtocol;
  requestId: string;
  /** The service answers awsJson1_0 with the Query-compatible error header (SQS). */
  queryCompatible?: boolean;
  /** awsQuery's XML namespace (STS's by default). */
  namespace?: string;
}

const CORAL = "http://internal.amazon.com/coral/com.amazon.coral.service/";
const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** The error in its protocol's shape. */
export function errorAnswer(error: AwsServiceError, context: ErrorContext): AwsServiceAnswer {
  if (context.protocol === "awsQuery") {
    const body = `<ErrorResponse xmlns="${context.namespace ?? STS_NAMESPACE}">
  <Error>
    <Type>Sender</Type>
    <Code>${escapeXml(error.code)}</Code>
    <Message>${escapeXml(error.message)}</Message>
  </Error>
  <RequestId>${context.requestId}</RequestId>
</ErrorResponse>
`;
    return { status: error.status, headers: [["Content-Type", "text/xml"]], body };
  }
  const headers: Array<[string, string]> = [
    ["Content-Type", contentTypeOf(context.protocol)],
    ["x-amzn-ErrorType", `${error.code}:${CORAL}`],
  ];
  if (context.queryCompatible) headers.push(["x-amzn-query-error", `${error.code};Sender`]);
  const body = JSON.stringify({
    __type: `com.amazon.coral.service#${error.code}`,
    message: error.message,
  });
  return { status: error.status, headers, body };
}

export function contentTypeOf(protocol: AwsProtocol): string {
  if (protocol === "awsJson1_1") return "application/x-amz-json-1.1";
  if (protocol === "awsJson1_0") return "application/x-amz-json-1.0";
  return "text/xml";
}

export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
