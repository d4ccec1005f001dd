import { describe, expect, it } from "vitest";
import { parseSignedUrl } from "./signed-url.js";
import { UsageError } from "./usage-error.js";

const S3 =
  "https://examplebucket.s3.us-west-2.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzEBYaDNotARealSessionToken123&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

describe("parseSignedUrl", () => {
  it("reads an S3 presigned URL (AWS's documented example) and hides its signature and token", () => {
    const facts = parseSignedUrl(S3);
    expect(facts).toMatchObject({
      provider: "s3",
      kind: "sigv4",
      algorithm: "AWS4-HMAC-SHA256",
      signer: { label: "access key id", value: "AKIAIOSFODNN7EXAMPLE" },
      scope: "20130524/us-west-2/s3/aws4_request",
      region: "us-west-2",
      signedAtMs: Date.parse("2013-05-24T00:00:00Z"),
      expiresAtMs: Date.parse("2013-05-25T00:00:00Z"),
      problems: [],
    });
    expect(facts.redactedUrl).toContain("X-Amz-Signature=[REDACTED]");
    expect(facts.redactedUrl).toContain("X-Amz-Security-Token=[REDACTED]");
    expect(facts.redactedUrl).not.toContain("aeeed9bb");
    expect(facts.secrets).toContain("FwoGZXIvYXdzEBYaDNotARealSessionToken123");
  });

  it("names what a signer would refuse: a lifetime over 7 days, a scope date not the signing date", () => {
    const bad = S3.replace("X-Amz-Expires=86400", "X-Amz-Expires=700000").replace(
      "%2F20130524%2F",
      "%2F20130523%2F",
    );
    const { problems } = parseSignedUrl(bad);
    expect(problems).toContain("X-Amz-Expires is 700000s; it must be 1 to 604800 (7 days)");
    expect(problems).toContain(
      "the credential scope's date is not the date of X-Amz-Date/X-Goog-Date",
    );
  });

  it("reads a GCS V4 URL's service account and an Azure SAS's account, start and expiry", () => {
    const gcs = parseSignedUrl(
      "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20261123%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20261123T100000Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host&X-Goog-Signature=0123abcd0123abcd",
    );
    expect(gcs).toMatchObject({
      provider: "gcs",
      kind: "goog4",
      region: "auto",
      expiresSeconds: 600,
    });
    expect(gcs.signer).toEqual({ label: "service account", value: "sa@p.iam.gserviceaccount.com" });
    const sas = parseSignedUrl(
      "http://127.0.0.1:10000/devstoreaccount1/c/b?sv=2024-08-04&st=2026-11-23T10%3A00%3A00Z&se=2026-11-23T11%3A00%3A00.0000000Z&sr=b&sp=r&sig=c2lnbmF0dXJlc2lnbmF0dXJl%2B%3D",
    );
    expect(sas).toMatchObject({
      provider: "azure",
      account: "devstoreaccount1",
      startsAtMs: Date.parse("2026-11-23T10:00:00Z"),
      expiresAtMs: Date.parse("2026-11-23T11:00:00Z"),
    });
    expect(sas.redactedUrl).toMatch(/sig=\[REDACTED\]$/);
    expect(sas.secrets).toContain("c2lnbmF0dXJlc2lnbmF0dXJl+=");
  });

  it("refuses what is not a signed URL", () => {
    expect(() => parseSignedUrl("not a url")).toThrow(UsageError);
    expect(() => parseSignedUrl("https://example.com/?a=b")).toThrow(/not a signed URL/);
  });
});
