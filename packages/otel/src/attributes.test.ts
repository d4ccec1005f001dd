import type { SkewguardEvent } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import { evidenceKey, eventAttributes } from "./attributes.js";

const COMMON = {
  time: "2026-11-23T10:00:00.000Z",
  provider: "s3",
  host: "bucket.s3.eu-west-1.amazonaws.com:443",
  operation: "GetObject",
  requestId: "4442587FB7D0A2F9",
  offsetMs: 900_000,
  offsetBoundsMs: [899_990, 900_010],
} as const satisfies Partial<SkewguardEvent>;

describe("eventAttributes", () => {
  it("flattens a diagnosis into scalar and string-array attributes", () => {
    const attributes = eventAttributes({
      ...COMMON,
      offsetBoundsMs: [899_990, 900_010],
      type: "signature.diagnosed",
      evidence: [{ name: "code", value: "SignatureDoesNotMatch" }],
      diagnosis: {
        cause: "credential-scope-mismatch",
        confidence: "high",
        summary: "Signed for us-east-1; the bucket is in eu-west-1.",
        evidence: [
          { name: "serverTime", value: "2026-11-23T10:00:00.000Z" },
          { name: "maxAllowedSkew", value: "+15m" },
        ],
        fixes: ["Sign for the bucket's region"],
        deadEnds: [],
        firstDifference: { field: "region", client: "us-east-1", server: "eu-west-1" },
        checked: ["credential scope"],
      },
    });
    expect(attributes).toEqual({
      "skewguard.provider": "s3",
      "skewguard.host": "bucket.s3.eu-west-1.amazonaws.com:443",
      "skewguard.operation": "GetObject",
      "skewguard.request_id": "4442587FB7D0A2F9",
      "skewguard.offset_ms": 900_000,
      "skewguard.offset_low_ms": 899_990,
      "skewguard.offset_high_ms": 900_010,
      "skewguard.evidence.code": "SignatureDoesNotMatch",
      "skewguard.evidence.server_time": "2026-11-23T10:00:00.000Z",
      "skewguard.evidence.max_allowed_skew": "+15m",
      "skewguard.cause": "credential-scope-mismatch",
      "skewguard.confidence": "high",
      "skewguard.summary": "Signed for us-east-1; the bucket is in eu-west-1.",
      "skewguard.fixes": ["Sign for the bucket's region"],
      "skewguard.checked": ["credential scope"],
      "skewguard.first_difference.field": "region",
      "skewguard.first_difference.client": "us-east-1",
      "skewguard.first_difference.server": "eu-west-1",
    });
  });

  it("keeps only known fields and drops values a backend cannot hold", () => {
    const attributes = eventAttributes({
      ...COMMON,
      offsetMs: Number.NaN,
      type: "skew.detected",
      skewMs: Number.POSITIVE_INFINITY,
      sampleOutcome: "accepted",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      headers: { authorization: "AWS4-HMAC-SHA256 ..." },
    } as SkewguardEvent);
    expect(Object.keys(attributes).sort()).toEqual([
      "skewguard.host",
      "skewguard.offset_high_ms",
      "skewguard.offset_low_ms",
      "skewguard.operation",
      "skewguard.provider",
      "skewguard.request_id",
      "skewguard.sample_outcome",
    ]);
    expect(JSON.stringify(attributes)).not.toContain("EXAMPLEKEY");
  });

  it("scrubs credentials from every string, including evidence and arrays", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4QHkuY29tIn0.c2lnbmF0dXJlLWJ5dGVz";
    const attributes = eventAttributes({
      ...COMMON,
      type: "signature.diagnosed",
      diagnosis: {
        cause: "jwt-clock-skew",
        confidence: "medium",
        summary: `assertion=${jwt}`,
        evidence: [{ name: "detail", value: "Authorization: Bearer ya29.a0AfH6SMBx" }],
        fixes: [`retry with Bearer ya29.a0AfH6SMBx`],
        deadEnds: [],
        checked: [],
      },
    });
    const text = JSON.stringify(attributes);
    expect(text).not.toContain(jwt);
    expect(text).not.toContain("ya29.a0AfH6SMBx");
    expect(attributes["skewguard.evidence.detail"]).toBe("Authorization: [REDACTED]");
  });
});

describe("evidenceKey", () => {
  it("turns evidence names into snake_case keys under skewguard.evidence", () => {
    expect(evidenceKey("learnedOffset")).toBe("skewguard.evidence.learned_offset");
    expect(evidenceKey("X-Amz-Date")).toBe("skewguard.evidence.x_amz_date");
    expect(evidenceKey("status")).toBe("skewguard.evidence.status");
    expect(evidenceKey("  ")).toBeUndefined();
  });
});
