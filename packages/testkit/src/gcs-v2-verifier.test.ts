import { createPublicKey, createSign } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { generateTestPrivateKey, testServiceAccount } from "./gcs-service-account.js";
import { hasV2QuerySignature, verifyV2SignedUrl } from "./gcs-v2-verifier.js";

const account = testServiceAccount();
const publicKeys = new Map([[account.client_email, createPublicKey(account.private_key)]]);
const EXPIRES = 1_800_000_000;
let otherKey: string;
beforeAll(() => {
  otherKey = generateTestPrivateKey();
});

/** A V2 URL's target, the string-to-sign spelled out once more from GCS's documentation. */
function target(
  options: { method?: string; key?: string; headers?: string; contentType?: string } = {},
) {
  const path = "/bkt/dir/a%20b.txt";
  const stringToSign = `${options.method ?? "GET"}\n\n${options.contentType ?? ""}\n${EXPIRES}\n${options.headers ?? ""}${path}`;
  const signature = createSign("RSA-SHA256")
    .update(stringToSign)
    .sign(options.key ?? account.private_key, "base64");
  const query = new URLSearchParams({
    GoogleAccessId: account.client_email,
    Expires: String(EXPIRES),
    Signature: signature,
  });
  return `${path}?${query.toString()}`;
}

describe("verifyV2SignedUrl", () => {
  it("accepts a URL signed with the account's key before its Expires", () => {
    const verdict = verifyV2SignedUrl(
      { method: "GET", target: target(), headers: { host: "127.0.0.1:1" } },
      { now: EXPIRES * 1000 - 1, publicKeys },
    );
    expect(verdict).toEqual({
      ok: true,
      clientEmail: account.client_email,
      expiresAt: EXPIRES * 1000,
    });
    expect(hasV2QuerySignature(target())).toBe(true);
    expect(hasV2QuerySignature("/bkt/o?X-Goog-Signature=ab")).toBe(false);
  });

  it("answers ExpiredToken once the server's clock is past Expires, whatever the signature", () => {
    const verdict = verifyV2SignedUrl(
      { method: "GET", target: target({ key: otherKey }), headers: {} },
      { now: EXPIRES * 1000 + 1000, publicKeys },
    );
    expect(verdict).toMatchObject({ ok: false, error: { status: 400, code: "ExpiredToken" } });
  });

  it("signs x-goog-* headers and Content-Type; a request without them does not match", () => {
    const signed = target({
      method: "PUT",
      headers: "x-goog-meta-a:1\n",
      contentType: "text/plain",
    });
    const ok = verifyV2SignedUrl(
      {
        method: "PUT",
        target: signed,
        headers: { "X-Goog-Meta-A": " 1 ", "content-type": "text/plain", other: "ignored" },
      },
      { now: 0, publicKeys },
    );
    expect(ok.ok).toBe(true);
    const bare = verifyV2SignedUrl(
      { method: "PUT", target: signed, headers: {} },
      { now: 0, publicKeys },
    );
    expect(bare).toMatchObject({
      ok: false,
      error: {
        status: 403,
        code: "SignatureDoesNotMatch",
        stringToSign: `PUT\n\n\n${EXPIRES}\n/bkt/dir/a%20b.txt`,
      },
    });
  });

  it("refuses another key and a malformed Expires", () => {
    const other = verifyV2SignedUrl(
      { method: "GET", target: target({ key: otherKey }), headers: {} },
      { now: 0, publicKeys },
    );
    expect(other).toMatchObject({ ok: false, error: { code: "SignatureDoesNotMatch" } });
    const malformed = verifyV2SignedUrl(
      {
        method: "GET",
        target: target().replace(`Expires=${EXPIRES}`, "Expires=soon"),
        headers: {},
      },
      { now: 0, publicKeys },
    );
    expect(malformed).toMatchObject({ ok: false, error: { status: 400, code: "InvalidArgument" } });
  });
});
