import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, redact, redactString } from "./redact.js";

/** Opaque secrets as generators make them: base64 with mixed case and digits. */
const base64Secret = (length: number) =>
  fc
    .string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
      minLength: length,
      maxLength: length,
    })
    .map((s) => `Ab1${s}`);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

const base64url = (length: number) =>
  fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    minLength: length,
    maxLength: length,
  });

/** A secret and the text it hides in, as servers and SDKs write them. */
const secretInContext = fc.oneof(
  hex(64).map((sig) => ({
    secret: sig,
    text: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}`,
  })),
  hex(64).map((sig) => ({
    secret: sig,
    text: `https://b.s3.amazonaws.com/k?X-Amz-Date=20261123T100000Z&X-Amz-Signature=${sig}&x=1`,
  })),
  hex(64).map((sig) => ({ secret: sig, text: `<SignatureProvided>${sig}</SignatureProvided>` })),
  hex(64).map((sig) => ({ secret: sig, text: `signature ${sig} rejected` })),
  base64Secret(40).map((key) => ({ secret: key, text: `secret ${key} in a message` })),
  base64Secret(85).map((key) => ({
    secret: key,
    text: `AccountKey=${key};EndpointSuffix=core.windows.net`,
  })),
  base64Secret(40).map((sig) => ({
    secret: sig,
    text: `https://acct.blob.core.windows.net/c/b?sv=2025-01-05&se=2026-11-23T10%3A10%3A00Z&sig=${encodeURIComponent(sig)}`,
  })),
  base64Secret(40).map((sig) => ({ secret: sig, text: `Authorization: SharedKey acct:${sig}` })),
  base64url(60).map((tok) => ({ secret: tok, text: `Bearer ya29.${tok}` })),
  fc.tuple(base64url(20), base64url(40), base64url(43)).map(([a, b, c]) => {
    const jwt = `eyJ${a}.eyJ${b}.${c}`;
    return { secret: jwt, text: `assertion ${jwt} rejected` };
  }),
  base64Secret(300).map((tok) => ({
    secret: tok,
    text: `X-Amz-Security-Token=${encodeURIComponent(tok)}`,
  })),
  base64Secret(64).map((body) => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
    return { secret: body, text: JSON.stringify({ private_key: pem }) };
  }),
);

describe("redact", () => {
  it("never lets a secret through, wherever it sits in an event", () => {
    fc.assert(
      fc.property(secretInContext, fc.string(), fc.string(), ({ secret, text }, before, after) => {
        const message = `${before} ${text} ${after}`;
        const event = {
          type: "signature.diagnosed",
          why: message,
          evidence: [{ name: "message", value: message }],
          diagnosis: {
            summary: message,
            firstDifference: { field: "header:authorization", client: message, server: message },
            fixes: [message],
          },
        };
        const out = JSON.stringify(redact(event));
        // Compare the longest fragment: short runs may occur by chance in the surrounding text.
        expect(out).not.toContain(secret.slice(0, 24));
        expect(out).toContain(REDACTED);
      }),
      { numRuns: 10_000 },
    );
  });

  it("drops fields that are not on the allow-list, with their values", () => {
    const out = redact({
      type: "skew.detected",
      host: "127.0.0.1:9000",
      secretAccessKey: "plain",
      credentials: { sessionToken: "plain" },
      headers: { authorization: "plain" },
    } as Record<string, unknown>);
    expect(out).toEqual({ type: "skew.detected", host: "127.0.0.1:9000" });
  });

  it("keeps what a person needs: hosts, ids, times, the scope of a string-to-sign, paths", () => {
    const sts = "AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/s3/aws4_request\n";
    const hash = "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d";
    // A bare digest cannot be told from a bare signature: it goes too.
    expect(redactString(sts + hash)).toBe(`${sts}${REDACTED}`);
    for (const keep of [
      "/my-bucket/photos/2026/11/23/IMG_20261123_100000123.jpg",
      "AKIAIOSFODNN7EXAMPLE",
      "my-bucket-name-with-long-suffix-2026.s3.us-east-1.amazonaws.com:443",
      "0f2c8e4a-61b8-4c9d-9d7e-2f1f7a9c0e11",
      "2026-11-23T10:00:00.1234567Z",
    ]) {
      expect(redactString(keep)).toBe(keep);
    }
  });

  it("survives cycles and odd values", () => {
    const a: Record<string, unknown> = { type: "x", why: "w" };
    a.evidence = [a, () => 1, Symbol("s"), 1, null, true];
    expect(redact(a)).toEqual({ type: "x", why: "w", evidence: [1, null, true] });
  });
});
