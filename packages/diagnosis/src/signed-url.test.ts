import { describe, expect, it } from "vitest";
import { isSkewguardError } from "./errors.js";
import { parseSignedUrl, signedFactsOfUrl, signedUrlSecrets } from "./signed-url.js";
import type { Observation } from "./types.js";

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
    // Nothing the parser returns holds the signature or the token.
    expect(JSON.stringify(facts)).not.toMatch(/aeeed9bb|FwoGZXIvYXdzEBYa/);
    expect(signedUrlSecrets(S3)).toEqual([
      "FwoGZXIvYXdzEBYaDNotARealSessionToken123",
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    ]);
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
    expect(signedUrlSecrets(sas.redactedUrl)).toEqual(["[REDACTED]"]);
  });

  it("names a SAS sig in both its encoded and decoded forms, for a scrubber", () => {
    const secrets = signedUrlSecrets(
      "https://acct.blob.core.windows.net/c/b?sv=2024-08-04&se=2026-11-23T11%3A00%3A00Z&sig=c2lnbmF0dXJlc2lnbmF0dXJl%2B%3D",
    );
    expect(secrets).toEqual(["c2lnbmF0dXJlc2lnbmF0dXJl%2B%3D", "c2lnbmF0dXJlc2lnbmF0dXJl+="]);
    expect(signedUrlSecrets("not a url")).toEqual([]);
  });

  it("reads legacy SigV2 and GCS V2 URLs, which carry an absolute expiry and no signing time", () => {
    const v2 = parseSignedUrl(
      "https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1795435200&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
    );
    expect(v2).toMatchObject({
      provider: "s3",
      kind: "sigv2",
      algorithm: "SigV2 (HMAC-SHA1)",
      signer: { label: "access key id", value: "AKIAIOSFODNN7EXAMPLE" },
      expiresAtMs: 1_795_435_200_000,
      futureAllowanceMs: 0,
      problems: [],
    });
    expect(v2.signedAtMs).toBeUndefined();
    const goog2 = parseSignedUrl(
      "https://storage.googleapis.com/b/o?GoogleAccessId=sa%40p.iam.gserviceaccount.com&Expires=1795435200&Signature=abcdefgh",
    );
    expect(goog2).toMatchObject({ provider: "gcs", kind: "goog2" });
  });

  it("lists a missing algorithm as a problem rather than inventing one", () => {
    const facts = parseSignedUrl(S3.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256&", ""));
    expect(facts.algorithm).toBeUndefined();
    expect(facts.problems).toContain("X-Amz-Algorithm is missing; expected AWS4-HMAC-SHA256");
  });

  it("refuses what is not a signed URL with SKEWGUARD_INVALID_INPUT", () => {
    for (const text of ["not a url", "ftp://example.com/?sig=a&sv=b", "https://example.com/?a=b"]) {
      let caught: unknown;
      try {
        parseSignedUrl(text);
      } catch (error) {
        caught = error;
      }
      expect(isSkewguardError(caught) && caught.code).toBe("SKEWGUARD_INVALID_INPUT");
    }
    expect(() => parseSignedUrl("not a url")).toThrow('not a URL: "not a url"');
    expect(() => parseSignedUrl("https://example.com/?a=b")).toThrow(/not a signed URL/);
  });
});

describe("signedFactsOfUrl", () => {
  it("gives the core's SignedFacts of an S3 presigned URL, presigned, without signature or token", () => {
    const observed = signedFactsOfUrl(S3);
    expect(observed).toEqual({
      presigned: true,
      signed: {
        signedAtMs: Date.parse("2013-05-24T00:00:00Z"),
        algorithm: "AWS4-HMAC-SHA256",
        credentialScope: "20130524/us-west-2/s3/aws4_request",
        region: "us-west-2",
        service: "s3",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        expiresSeconds: 86_400,
        expiresAtMs: Date.parse("2013-05-25T00:00:00Z"),
      },
    });
    expect(JSON.stringify(observed)).not.toMatch(/aeeed9bb|FwoGZXIvYXdzEBYa/);
  });

  it("reads a GCS V4 URL as the GCS adapter's diagnosis needs it", () => {
    const observed = signedFactsOfUrl(
      "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20261123%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20261123T100000Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host&X-Goog-Signature=0123abcd0123abcd",
    );
    expect(observed?.signed).toEqual({
      signedAtMs: Date.parse("2026-11-23T10:00:00Z"),
      algorithm: "GOOG4-RSA-SHA256",
      credentialScope: "20261123/auto/storage/goog4_request",
      region: "auto",
      service: "storage",
      accessKeyId: "sa@p.iam.gserviceaccount.com",
      expiresSeconds: 600,
      expiresAtMs: Date.parse("2026-11-23T10:10:00Z"),
    });
  });

  it("gives an Azure SAS's window and account, never its sig", () => {
    const observed = signedFactsOfUrl(
      "https://acct.blob.core.windows.net/c/b?sv=2024-08-04&st=2026-11-23T10%3A00%3A00Z&se=2026-11-23T11%3A00%3A00Z&sr=b&sp=r&sig=c2lnbmF0dXJlc2lnbmF0dXJl%2B%3D",
    );
    expect(observed?.signed).toEqual({
      algorithm: "HMAC-SHA256 (service SAS)",
      accessKeyId: "acct",
      startsAtMs: Date.parse("2026-11-23T10:00:00Z"),
      expiresAtMs: Date.parse("2026-11-23T11:00:00Z"),
    });
    expect(JSON.stringify(observed)).not.toContain("c2lnbmF0dXJl");
  });

  it("spreads into an Observation, and gives nothing (never throws) for what is not a signed URL", () => {
    const observation: Observation = {
      provider: "gcs",
      host: "storage.googleapis.com",
      sentAt: 0,
      receivedAt: 0,
      status: 403,
      headers: {},
      ...signedFactsOfUrl(S3),
    };
    expect(observation.presigned).toBe(true);
    expect(signedFactsOfUrl("not a url")).toBeUndefined();
    expect(signedFactsOfUrl("https://example.com/?a=b")).toBeUndefined();
  });
});
