import { describe, expect, it } from "vitest";
import { diagnose } from "./diagnose.js";
import * as bodies from "./error-bodies.fixture.js";
import { readEvidence } from "./evidence.js";
import type { Cause, Observation, Provider, SignedFacts } from "./types.js";

/** Each catalogue cause, reached from a real-shaped body through the evidence parsers. */

const NOW = Date.parse("2026-11-23T10:00:00Z");

function run(provider: Provider, body: string, over: Partial<Observation> = {}, resent = false) {
  const observation: Observation = {
    provider,
    host: "127.0.0.1:9000",
    sentAt: NOW,
    receivedAt: NOW + 30,
    status: 403,
    headers: { date: new Date(NOW).toUTCString() },
    body,
    ...over,
  };
  const { facts } = readEvidence(observation);
  return diagnose({ observation, facts, resentOnCorrectedClock: resent });
}

const signedAt = (ms: number, extra: SignedFacts = {}): Partial<Observation> => ({
  signed: { signedAtMs: ms, offsetMs: 0, ...extra },
});

const cases: [string, Cause, () => ReturnType<typeof run>][] = [
  [
    "S3 RequestTimeTooSkewed (client 20 min behind)",
    "clock-behind",
    () => run("s3", bodies.S3_REQUEST_TIME_TOO_SKEWED),
  ],
  [
    "S3 RequestTimeTooSkewed (client 20 min ahead)",
    "clock-ahead",
    () =>
      run("s3", bodies.S3_REQUEST_TIME_TOO_SKEWED.replace("20261123T094000Z", "20261123T102000Z")),
  ],
  [
    "S3 presigned AccessDenied: Request has expired",
    "presigned-expired",
    () => run("s3", bodies.S3_REQUEST_HAS_EXPIRED, { presigned: true }),
  ],
  [
    "S3 SignatureDoesNotMatch, same string-to-sign",
    "secret-key-mismatch",
    () =>
      run(
        "s3",
        bodies.S3_SIGNATURE_DOES_NOT_MATCH,
        signedAt(NOW, { stringToSign: bodies.S3_STRING_TO_SIGN }),
      ),
  ],
  [
    "S3 SignatureDoesNotMatch, region differs",
    "credential-scope-mismatch",
    () =>
      run(
        "s3",
        bodies.S3_SIGNATURE_DOES_NOT_MATCH,
        signedAt(NOW, { stringToSign: bodies.S3_STRING_TO_SIGN.replace("us-east-1", "eu-west-1") }),
      ),
  ],
  [
    "S3 SignatureDoesNotMatch, query re-encoded by a proxy",
    "request-changed",
    () =>
      run(
        "s3",
        bodies.S3_SIGNATURE_DOES_NOT_MATCH,
        signedAt(NOW, {
          stringToSign: bodies.S3_STRING_TO_SIGN.replace(/[0-9a-f]{64}$/, "0".repeat(64)),
          canonicalRequest: bodies.S3_CANONICAL_REQUEST.replace("prefix=a%20b", "prefix=a+b"),
        }),
      ),
  ],
  [
    "S3 SignatureDoesNotMatch against a SigV2 signer",
    "algorithm-mismatch",
    () =>
      run(
        "s3",
        "<Error><Code>SignatureDoesNotMatch</Code><StringToSign>GET\n\n\nMon, 23 Nov 2026 10:00:00 GMT\n/bucket/key</StringToSign></Error>",
        signedAt(NOW, { algorithm: "AWS4-HMAC-SHA256" }),
      ),
  ],
  [
    "GCS XML ExpiredToken",
    "presigned-expired",
    () => run("gcs", bodies.GCS_XML_EXPIRED_TOKEN, { presigned: true, status: 400 }),
  ],
  [
    "GCS XML not yet valid",
    "presigned-not-yet-valid",
    () => run("gcs", bodies.GCS_XML_NOT_YET_VALID, { presigned: true, status: 400 }),
  ],
  [
    "GCS invalid_grant (JWT times)",
    "jwt-clock-skew",
    () => run("gcs", bodies.GCS_INVALID_GRANT, { tokenGrant: true, status: 400 }),
  ],
  [
    "Azure: Request date header too old",
    "clock-behind",
    () => run("azure", bodies.AZURE_DATE_TOO_OLD),
  ],
  [
    "Azure SAS outside its time frame",
    "presigned-not-yet-valid",
    () => run("azure", bodies.AZURE_SAS_TIME_FRAME, { presigned: true }),
  ],
  [
    "Azure MAC mismatch after a corrected resend",
    "secret-key-mismatch",
    () => run("azure", bodies.AZURE_MAC_MISMATCH, {}, true),
  ],
  [
    "A body with nothing conclusive",
    "unknown",
    () => run("s3", "<Error><Code>InternalError</Code></Error>", { status: 500 }),
  ],
];

describe("diagnose from real-shaped bodies", () => {
  it.each(cases)("%s → %s", (_name, cause, diagnoseIt) => {
    const d = diagnoseIt();
    expect(d.cause).toBe(cause);
    expect(d.fixes.length + d.checked.length).toBeGreaterThan(0);
  });

  it("covers every cause of the catalogue", () => {
    const covered = new Set(cases.map(([, cause]) => cause));
    const all: Cause[] = [
      "clock-behind",
      "clock-ahead",
      "presigned-expired",
      "presigned-not-yet-valid",
      "secret-key-mismatch",
      "credential-scope-mismatch",
      "algorithm-mismatch",
      "request-changed",
      "jwt-clock-skew",
      "unknown",
    ];
    expect(all.filter((c) => !covered.has(c))).toEqual([]);
  });
});
