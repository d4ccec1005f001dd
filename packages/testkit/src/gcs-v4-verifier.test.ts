import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type SignedUrlRequest, verifyV4SignedUrl } from "./gcs-v4-verifier.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const conformanceDir = path.resolve(repoRoot, "test", "conformance");
const account = JSON.parse(
  readFileSync(path.join(conformanceDir, "gcs-v4-signing-service-account.json"), "utf8"),
) as { client_email: string; private_key: string };
const cases = (
  JSON.parse(readFileSync(path.join(conformanceDir, "gcs-v4-signing-tests.json"), "utf8")) as {
    signingV4Tests: Array<{
      description: string;
      method: string;
      expiration: number;
      timestamp: string;
      headers?: Record<string, string>;
      expectedUrl: string;
      expectedCanonicalRequest?: string;
      expectedStringToSign?: string;
    }>;
  }
).signingV4Tests;
const publicKey = createPublicKey(account.private_key);
const publicKeys = new Map([[account.client_email, publicKey]]);

/** The request a client sends for a conformance URL: its headers plus `Host`. */
function requestFor(c: (typeof cases)[number], url = c.expectedUrl): SignedUrlRequest {
  return {
    method: c.method,
    target: url.replace(/^[a-z]+:\/\/[^/]+/, ""),
    headers: { ...c.headers, host: new URL(url).host },
  };
}

const simpleGet = cases.find((c) => c.description === "Simple GET")!;
const signedAt = Date.parse(simpleGet.timestamp);

describe("verifyV4SignedUrl against GCS's conformance URLs", () => {
  for (const c of cases) {
    it(`accepts "${c.description}" at its signing time`, () => {
      const verdict = verifyV4SignedUrl(requestFor(c), {
        now: Date.parse(c.timestamp) + 1000,
        publicKeys,
      });
      expect(verdict).toMatchObject({ ok: true, clientEmail: account.client_email });
      // Where the data's own canonical request is the one its signature covers, ours matches it.
      const signature = new URL(c.expectedUrl).searchParams.get("X-Goog-Signature")!;
      const dataConsistent = verify(
        "sha256",
        Buffer.from(c.expectedStringToSign ?? ""),
        publicKey,
        Buffer.from(signature, "hex"),
      );
      if (dataConsistent && verdict.ok) {
        expect(verdict.canonicalRequest).toBe(c.expectedCanonicalRequest);
      }
    });
  }
});

describe("verifyV4SignedUrl refusals", () => {
  it("answers ExpiredToken with GCS's wording once X-Goog-Date + X-Goog-Expires has passed", () => {
    const verdict = verifyV4SignedUrl(requestFor(simpleGet), {
      now: signedAt + 10_001,
      publicKeys,
    });
    expect(verdict).toEqual({
      ok: false,
      error: {
        status: 400,
        code: "ExpiredToken",
        message: "Invalid argument.",
        details:
          "The provided token has expired. Request signature expired at: 2019-02-01T09:00:10+00:00",
      },
    });
  });

  it("checks the clock before the signature, as GCS does", () => {
    const tampered = simpleGet.expectedUrl.replace("X-Goog-Expires=10", "X-Goog-Expires=1");
    const verdict = verifyV4SignedUrl(requestFor(simpleGet, tampered), {
      now: signedAt + 5000,
      publicKeys,
    });
    expect(verdict.ok ? undefined : verdict.error.code).toBe("ExpiredToken");
  });

  it("refuses a URL dated further ahead than the allowance, accepts one within it", () => {
    const request = requestFor(simpleGet);
    const early = verifyV4SignedUrl(request, { now: signedAt - 16 * 60_000, publicKeys });
    expect(early.ok ? undefined : early.error).toMatchObject({
      status: 400,
      code: "InvalidArgument",
    });
    expect(verifyV4SignedUrl(request, { now: signedAt - 14 * 60_000, publicKeys }).ok).toBe(true);
    const strict = verifyV4SignedUrl(request, {
      now: signedAt - 2000,
      publicKeys,
      futureAllowanceMs: 1000,
    });
    expect(strict.ok).toBe(false);
  });

  it("returns the string-to-sign and canonical request it computed on a mismatch", () => {
    const moved = simpleGet.expectedUrl.replace("/test-object?", "/other-object?");
    const verdict = verifyV4SignedUrl(requestFor(simpleGet, moved), {
      now: signedAt + 1000,
      publicKeys,
    });
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.error).toMatchObject({
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "Access denied.",
    });
    expect(verdict.error.canonicalRequest?.split("\n").slice(0, 2)).toEqual([
      "GET",
      "/test-bucket/other-object",
    ]);
    expect(verdict.error.stringToSign?.split("\n").slice(0, 3)).toEqual([
      "GOOG4-RSA-SHA256",
      "20190201T090000Z",
      "20190201/auto/storage/goog4_request",
    ]);
  });

  it("treats an unknown service account as a signature mismatch", () => {
    const verdict = verifyV4SignedUrl(requestFor(simpleGet), {
      now: signedAt + 1000,
      publicKeys: new Map(),
    });
    expect(verdict.ok ? undefined : verdict.error.code).toBe("SignatureDoesNotMatch");
  });

  it("answers MalformedSecurityHeader for a date that is not one", () => {
    const bad = simpleGet.expectedUrl.replace(
      "X-Goog-Date=20190201T090000Z",
      "X-Goog-Date=20190231T090000Z",
    );
    const verdict = verifyV4SignedUrl(requestFor(simpleGet, bad), {
      now: signedAt,
      publicKeys,
    });
    expect(verdict.ok ? undefined : verdict.error).toMatchObject({
      status: 400,
      code: "MalformedSecurityHeader",
      parameterName: "X-Goog-Date",
    });
  });

  it("answers MalformedSecurityHeader when a signed header did not arrive", () => {
    const c = cases.find((x) => x.description === "Simple headers")!;
    const request = requestFor(c);
    const { foo: _dropped, ...headers } = request.headers as Record<string, string>;
    const verdict = verifyV4SignedUrl(
      { ...request, headers },
      { now: Date.parse(c.timestamp), publicKeys },
    );
    expect(verdict.ok ? undefined : verdict.error).toMatchObject({
      code: "MalformedSecurityHeader",
      parameterName: "foo",
    });
  });
});
