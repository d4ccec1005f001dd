import { describe, expect, it } from "vitest";
import { readSignedFacts } from "./signed-request.js";

describe("readSignedFacts", () => {
  it("reads algorithm, scope, access key id and time, and never the signature", () => {
    const signature = "f".repeat(64);
    const facts = readSignedFacts({
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      "x-amz-date": "20261123T103005Z",
    });
    expect(facts).toEqual({
      algorithm: "AWS4-HMAC-SHA256",
      accessKeyId: "AKIDEXAMPLE",
      credentialScope: "20261123/eu-west-1/s3/aws4_request",
      region: "eu-west-1",
      service: "s3",
      signedAtMs: Date.UTC(2026, 10, 23, 10, 30, 5),
    });
    expect(JSON.stringify(facts)).not.toContain(signature);
  });

  it("yields nothing from an unsigned or malformed request", () => {
    expect(readSignedFacts({})).toEqual({});
    expect(readSignedFacts({ "x-amz-date": "yesterday" })).toEqual({});
  });
});
