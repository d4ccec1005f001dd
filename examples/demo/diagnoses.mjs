// Part 2 of the demo: real-shaped error responses from each provider, diagnosed.
import { OffsetStore } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";

const NOW = Date.parse("2026-11-23T10:00:00.000Z");

const CASES = [
  {
    title: "S3 PutObject from a laptop that slept (clock 15 min behind)",
    provider: "s3",
    status: 403,
    signedAtMs: NOW - 15 * 60_000,
    headers: { date: "Mon, 23 Nov 2026 10:00:00 GMT", "x-amz-request-id": "4442587FB7D0A2F9" },
    body: `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20261123T094500Z</RequestTime><ServerTime>2026-11-23T10:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId></Error>`,
  },
  {
    title: "S3 presigned URL made on a clock 20 min behind",
    provider: "s3",
    status: 403,
    presigned: true,
    signedAtMs: NOW - 20 * 60_000,
    headers: { date: "Mon, 23 Nov 2026 10:00:00 GMT" },
    body: `<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>900</X-Amz-Expires><Expires>2026-11-23T09:55:00Z</Expires><ServerTime>2026-11-23T10:00:00Z</ServerTime><RequestId>9F1C</RequestId></Error>`,
  },
  {
    title: "S3 SignatureDoesNotMatch with the staging secret against production",
    provider: "s3",
    status: 403,
    signedAtMs: NOW,
    headers: { date: "Mon, 23 Nov 2026 10:00:00 GMT" },
    stringToSign:
      "AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/s3/aws4_request\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
    body: `<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
20261123T100000Z
20261123/us-east-1/s3/aws4_request
9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d</StringToSign><SignatureProvided>4d6f1b2c3a5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8</SignatureProvided></Error>`,
  },
  {
    title: "Azure Blob upload from a VM restored from a snapshot (clock 40 min behind)",
    provider: "azure",
    status: 403,
    signedAtMs: NOW - 40 * 60_000,
    headers: { date: "Mon, 23 Nov 2026 10:00:00 GMT", "x-ms-error-code": "AuthenticationFailed" },
    body: `﻿<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:0f2c8e4a-601e-0042-3a1b-5e8f3b000000
Time:2026-11-23T10:00:00.1234567Z</Message><AuthenticationErrorDetail>Request date header too old: 'Mon, 23 Nov 2026 09:20:00 GMT'</AuthenticationErrorDetail></Error>`,
  },
  {
    title: "GCS service-account token grant from a board that booted with a stale clock",
    provider: "gcs",
    status: 400,
    tokenGrant: true,
    signedAtMs: NOW - 70 * 60_000,
    headers: { date: "Mon, 23 Nov 2026 10:00:00 GMT", "content-type": "application/json" },
    body: JSON.stringify({
      error: "invalid_grant",
      error_description:
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
    }),
  },
];

export async function diagnoseCases(print) {
  for (const c of CASES) {
    const clock = { now: () => c.signedAtMs };
    const recovery = new SkewRecovery(c.provider, { clock, offsets: new OffsetStore({ clock }) });
    const diagnosis = await recovery.diagnose({
      provider: c.provider,
      host: "demo.local:443",
      sentAt: c.signedAtMs,
      receivedAt: c.signedAtMs + 40,
      status: c.status,
      headers: c.headers,
      body: c.body,
      signed: {
        signedAtMs: c.signedAtMs,
        offsetMs: 0,
        ...(c.stringToSign ? { stringToSign: c.stringToSign } : {}),
      },
      ...(c.presigned ? { presigned: true } : {}),
      ...(c.tokenGrant ? { tokenGrant: true } : {}),
    });
    print(`\n${c.title}`);
    print(`  ${diagnosis.cause} (${diagnosis.confidence}): ${diagnosis.summary}`);
    print(`  first fix: ${diagnosis.fixes[0]}`);
    if (diagnosis.deadEnds[0]) print(`  dead end: ${diagnosis.deadEnds[0]}`);
  }
}
