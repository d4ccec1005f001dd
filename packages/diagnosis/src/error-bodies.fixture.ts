/**
 * Error bodies in the shapes real servers send (see the comments for where each shape comes
 * from), shared by the parser tests and the never-throws property tests.
 */

/** S3 to a SigV4 request signed 20 minutes behind (shape of aws/aws-sdk-php#612). */
export const S3_REQUEST_TIME_TOO_SKEWED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20261123T094000Z</RequestTime><ServerTime>2026-11-23T10:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId><HostId>vjQvmqRXJmFlrRGZr9Cwd7O2LxOhXz1DYiSxbB0hbYn0Bq3qkAErKzF0K4nLbDqgnmYi7uN3Wns=</HostId></Error>`;

export const S3_STRING_TO_SIGN =
  "AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/s3/aws4_request\n5f2c0d1b9e4a7c3f8b6d2e1a0c9f8e7d6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d";

export const S3_CANONICAL_REQUEST =
  "GET\n/reports/2026/q4.csv\nlist-type=2&prefix=a%20b\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20261123T100000Z\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD";

/** XML escapes `&` in the canonical query string; the parser must give it back. */
export const S3_SIGNATURE_DOES_NOT_MATCH = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>${S3_STRING_TO_SIGN}</StringToSign><SignatureProvided>8f3d1a0e6c2b9f7e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e</SignatureProvided><StringToSignBytes>41 57 53 34 2d 48 4d 41 43</StringToSignBytes><CanonicalRequest>${S3_CANONICAL_REQUEST.replaceAll("&", "&amp;")}</CanonicalRequest><CanonicalRequestBytes>47 45 54 0a</CanonicalRequestBytes><RequestId>9D1C4C2E8B7A6F50</RequestId><HostId>Yp0L9m7k1Xo2r3T4u5V6w7X8y9Z0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0=</HostId></Error>`;

/** A presigned GET used after its 900 s ran out. */
export const S3_REQUEST_HAS_EXPIRED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>900</X-Amz-Expires><Expires>2026-11-23T09:55:00Z</Expires><ServerTime>2026-11-23T10:00:00.123Z</ServerTime><RequestId>B1E2F3A4C5D6E7F8</RequestId><HostId>kLmNoPqRsTuVwXyZ0123456789abcdefGHIJKLmnopQRSTuvwxYZ=</HostId></Error>`;

/** GCS XML API, a 2026 capture's shape: Message is generic, the reason is in Details. */
export const GCS_XML_SIGNATURE_DOES_NOT_MATCH = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>Access denied.</Message><Details>The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.</Details><StringToSign>GOOG4-RSA-SHA256
20261123T100000Z
20261123/auto/storage/goog4_request
a3005759c86a46a83f25f7e49c6ffa4de624aeb6f056b681b4791faf64977d5e</StringToSign><CanonicalRequest>PUT
/uploads/test.csv
X-Goog-Algorithm=GOOG4-RSA-SHA256&amp;X-Goog-Credential=signer%40project.iam.gserviceaccount.com%2F20261123%2Fauto%2Fstorage%2Fgoog4_request&amp;X-Goog-Date=20261123T100000Z&amp;X-Goog-Expires=300&amp;X-Goog-SignedHeaders=host
host:storage.googleapis.com

host
UNSIGNED-PAYLOAD</CanonicalRequest></Error>`;

export const GCS_XML_EXPIRED_TOKEN = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>Invalid argument.</Message><Details>The provided token has expired. Request signature expired at: 2026-11-23T09:55:00+00:00</Details></Error>`;

export const GCS_XML_NOT_YET_VALID = `<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>Invalid argument.</Message><Details>Request is not yet valid.</Details></Error>`;

export const GCS_JSON_AUTH_ERROR = JSON.stringify({
  error: {
    code: 401,
    message: "Invalid Credentials",
    errors: [
      {
        message: "Invalid Credentials",
        domain: "global",
        reason: "authError",
        locationType: "header",
        location: "Authorization",
      },
    ],
  },
});

export const GCS_INVALID_GRANT_DESCRIPTION =
  "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

export const GCS_INVALID_GRANT = JSON.stringify({
  error: "invalid_grant",
  error_description: GCS_INVALID_GRANT_DESCRIPTION,
});

const AZURE_AUTH_MESSAGE =
  "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.";

function azureError(time: string, detail: string): string {
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>${AZURE_AUTH_MESSAGE}
RequestId:b0e5c2f4-601e-0070-1a2b-3c4d5e000000
Time:${time}</Message><AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail></Error>`;
}

/** SharedKey with an x-ms-date 20 minutes old (real Azure: 7 fractional digits, leading BOM). */
export const AZURE_DATE_TOO_OLD = azureError(
  "2026-11-23T10:00:00.1234567Z",
  "Request date header too old: 'Mon, 23 Nov 2026 09:40:00 GMT'",
);

/** A SAS whose start lies ahead of the server's clock (shape of AzureStorageExplorer#3219). */
export const AZURE_SAS_TIME_FRAME = azureError(
  "2026-11-23T10:00:00.5000000Z",
  "Signature not valid in the specified time frame: Start [Mon, 23 Nov 2026 10:05:00 GMT] - Expiry [Mon, 23 Nov 2026 11:05:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT]",
);

/** SAS signed by a client whose clock ran ahead (shape of blrchen/azure-speed-test#12). */
export const AZURE_EXPIRY_BEFORE_START = azureError(
  "2026-11-23T10:00:00.0000001Z",
  "Signed expiry time [Mon, 23 Nov 2026 09:40:00 GMT] must be after signed start time [Mon, 23 Nov 2026 10:05:00 GMT]",
);

/** Azure's SharedKey string to sign: twelve standard headers, then canonical headers and resource. */
export const AZURE_STRING_TO_SIGN =
  "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 23 Nov 2026 10:00:00 GMT\nx-ms-version:2025-01-05\n/devstoreaccount1/reports\ncomp:list\nrestype:container";

export const AZURE_MAC_MISMATCH = azureError(
  "2026-11-23T10:00:00.7654321Z",
  `The MAC signature found in the HTTP request 'dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==' is not the same as any computed signature. Server used following string to sign: '${AZURE_STRING_TO_SIGN}'.`,
);

/** Azurite (xml2js, pretty-printed, JS toISOString with 3 digits, no detail for AuthorizationFailure). */
export const AZURITE_AUTHORIZATION_FAILURE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Error>
  <Code>AuthorizationFailure</Code>
  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.
RequestId:7d9c1f5e-3b2a-4c8d-9e0f-1a2b3c4d5e6f
Time:2026-11-23T10:00:00.123Z</Message>
</Error>`;

/**
 * awsJson1_0 (DynamoDB) to a request signed 20 minutes behind, against a 5-minute window: the
 * message names the signing time, the oldest time accepted, and the server's time (shape of
 * aws/aws-sdk-js#254 and aws/aws-sdk-js-v3#7605).
 */
export const AWS_JSON_SIGNATURE_EXPIRED = JSON.stringify({
  __type: "com.amazon.coral.service#InvalidSignatureException",
  message:
    "Signature expired: 20261123T094000Z is now earlier than 20261123T095500Z (20261123T100000Z - 5 min.)",
});

/** awsJson1_1 (Kinesis, KMS...) to a request signed 20 minutes ahead. */
export const AWS_JSON_NOT_YET_CURRENT = JSON.stringify({
  __type: "InvalidSignatureException",
  Message:
    "Signature not yet current: 20261123T102000Z is still later than 20261123T100500Z (20261123T100000Z + 5 min.)",
});

/** awsQuery (STS, SQS before its JSON protocol, SNS...): `<ErrorResponse>`. */
export const AWS_QUERY_SIGNATURE_EXPIRED = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>SignatureDoesNotMatch</Code>
    <Message>Signature expired: 20261123T094000Z is now earlier than 20261123T095500Z (20261123T100000Z - 5 min.)</Message>
  </Error>
  <RequestId>6f5e4d3c-2b1a-4098-8776-5544332211aa</RequestId>
</ErrorResponse>`;

/** ec2Query: `<Response><Errors><Error>`, and no time in the message at all. */
export const EC2_REQUEST_EXPIRED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has expired.</Message></Error></Errors><RequestID>3c2b1a09-8877-4665-b544-33221100ffee</RequestID></Response>`;

/** Every realistic body, for the never-throws properties. */
export const ALL_BODIES: readonly string[] = [
  S3_REQUEST_TIME_TOO_SKEWED,
  S3_SIGNATURE_DOES_NOT_MATCH,
  S3_REQUEST_HAS_EXPIRED,
  GCS_XML_SIGNATURE_DOES_NOT_MATCH,
  GCS_XML_EXPIRED_TOKEN,
  GCS_XML_NOT_YET_VALID,
  GCS_JSON_AUTH_ERROR,
  GCS_INVALID_GRANT,
  AZURE_DATE_TOO_OLD,
  AZURE_SAS_TIME_FRAME,
  AZURE_EXPIRY_BEFORE_START,
  AZURE_MAC_MISMATCH,
  AZURITE_AUTHORIZATION_FAILURE,
  AWS_JSON_SIGNATURE_EXPIRED,
  AWS_JSON_NOT_YET_CURRENT,
  AWS_QUERY_SIGNATURE_EXPIRED,
  EC2_REQUEST_EXPIRED,
];
