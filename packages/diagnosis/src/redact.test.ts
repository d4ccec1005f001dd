import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cutAt,
  MAX_STRING_CHARS,
  REDACTED,
  redact,
  redactString,
  truncateRedacted,
} from "./redact.js";

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

/**
 * Random text as credentials are: a hash or a key, never fast-check's favourite "AAAA...". The
 * redactor tells a random base64url run from words joined by `-` and `_` by how random it is,
 * so the generator must be random too (xorshift32 from a generated seed).
 */
const random = (alphabet: string, length: number) =>
  fc.integer().map((seed) => {
    let x = seed >>> 0 || 0x9e3779b9;
    let out = "";
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out += alphabet[x % alphabet.length];
    }
    return out;
  });
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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
  ...unlabelled(),
);

/**
 * Shapes with no label to go by, as hostile echoes carry them: a bearer token without
 * `Bearer`, JWT segments on their own, a SAS signature in a URL inside another URL's query
 * (double-encoded), a session token percent-encoded, a line of a private key, user info.
 */
function unlabelled() {
  return [
    random(B64URL, 80).map((tok) => ({
      secret: `ya29.${tok}`,
      text: `token ya29.${tok} rejected`,
    })),
    random(B64URL, 60).map((tok) => ({ secret: `1//0${tok}`, text: `refresh 1//0${tok}` })),
    fc.tuple(random(B64URL, 20), random(B64URL, 40)).map(([a, b]) => {
      const unsigned = `eyJ${a}.eyJ${b}`;
      return { secret: unsigned, text: `claims ${unsigned} seen` };
    }),
    random(B64URL, 40).map((b) => ({ secret: `eyJ${b}`, text: `payload eyJ${b} only` })),
    // A JWT's signature segment alone: ES256 (86 characters) and RS256 (342), as Google's
    // service-account grants sign. (HS256's 43 are missed about once in 75,000: see redact.ts.)
    fc
      .oneof(random(B64URL, 86), random(B64URL, 342))
      .map((sig) => ({ secret: sig, text: `signature segment ${sig}.` })),
    random(B64, 43).map((sig) => ({
      secret: sig,
      text: `next=${encodeURIComponent(`https://a.blob.core.windows.net/c/b?sv=2025-01-05&sig=${encodeURIComponent(`${sig}=`)}&se=x`)}`,
    })),
    random(B64, 200).map((tok) => ({
      secret: tok,
      text: `session ${encodeURIComponent(encodeURIComponent(`IQo${tok}`))} end`,
    })),
    random(B64, 64).map((line) => ({ secret: line, text: `key line ${line} in a body` })),
    random(B64URL, 24).map((pw) => ({
      secret: pw,
      text: `proxy https://admin:${pw}@proxy.internal:8080/ refused`,
    })),
    random(B64, 40).map((key) => ({ secret: key, text: `{"secretAccessKey":"${key}"}` })),
  ];
}

/** Runs of `window` characters of `secret` that `text` contains: what a cut secret leaves. */
function fragments(secret: string, text: string, window = 10): string[] {
  const found: string[] = [];
  for (let i = 0; i + window <= secret.length; i++) {
    const piece = secret.slice(i, i + window);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

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

  it("redacts before it cuts: a secret straddling the cut, anywhere, leaves no fragment", () => {
    fc.assert(
      fc.property(
        secretInContext,
        fc.integer({ min: 1, max: 600 }),
        fc.nat(),
        ({ secret, text }, limit, at) => {
          // The cut goes through the secret itself, at any of its characters.
          const start = text.indexOf(secret);
          const through = start + (at % secret.length);
          const filler = "w ".repeat(limit).slice(0, Math.max(0, limit - through));
          const message = filler + text;
          const out = truncateRedacted(message, limit);
          expect(fragments(secret, out)).toEqual([]);
          expect(out.length).toBeLessThanOrEqual(limit + 1);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it("cuts event strings at MAX_STRING_CHARS only after redacting them", () => {
    const sig = "0123456789abcdef".repeat(4);
    for (let shift = 1; shift < sig.length; shift++) {
      const text = `${"x ".repeat(MAX_STRING_CHARS)}`.slice(0, MAX_STRING_CHARS - shift) + sig;
      const out = redact({ type: "signature.diagnosed", why: text }).why ?? "";
      expect(fragments(sig, out)).toEqual([]);
      expect(out.length).toBeLessThanOrEqual(MAX_STRING_CHARS + 1);
    }
    // Before: the first 39 digits of a signature at the 300-character message cut survived.
    const echoed = `${"x".repeat(261)} ${sig}`;
    expect(truncateRedacted(echoed, 300)).toBe(`${"x".repeat(261)} ${REDACTED}`);
  });

  it("never cuts the marker in half, and marks a cut with an ellipsis", () => {
    const text = `${"a ".repeat(148)}Signature=${"f".repeat(64)} tail`;
    for (let limit = 290; limit < 320; limit++) {
      const out = truncateRedacted(text, limit);
      expect(out).not.toMatch(/\[R?E?D?A?C?T?E?D?…/);
      expect(out.endsWith("…") || out === redactString(text)).toBe(true);
    }
    expect(truncateRedacted("short", 300)).toBe("short");
    expect(truncateRedacted(`Signature=${"f".repeat(64)}`, Number.POSITIVE_INFINITY)).toBe(
      `Signature=${REDACTED}`,
    );
  });

  it("catches shapes with no label: bearer tokens, JWT segments, encoded sig and tokens, user info", () => {
    const sig = "Ab1xKq9Zr2Lm8Np4Qs6Tu0Vw3Xy5Zb7Cd9Ef1Gh3Ij5K=";
    // [text, what must go, what stays]
    for (const [text, gone, kept] of [
      ["ya29.a0AfB_byC-xYz12_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcDEF_ghi", "ya29.", ""],
      ["1//0gAbCdEfGh-IjKlMnOpQrStUvWxYz_0123456789AbCdEfGhIjKl", "1//0gAbCdE", ""],
      ["GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12", "GOCSPX-", ""],
      ["eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", "eyJhbGciOi", ""],
      ["eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4QHkuaWFtIiwiaWF0IjoxNzAwMDAwMDAwfQ", "eyJ", ""],
      ["tkW3-8Q_b9xZ_aK2-pL4mN6oR8sT0uV2wX4yZ6aB8cD0eF2gH4iJ6kL8mN0oP2q", "tkW3-8Q_b9", ""],
      [`sig%3D${encodeURIComponent(sig)}%26se%3D2026`, "Ab1xKq9Zr2", "sig%3D"],
      [`sig%253D${encodeURIComponent(encodeURIComponent(sig))}%2526se`, "Ab1xKq9Zr2", "sig%253D"],
      ["IQoJb3JpZ2luX2VjEJ%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQDabc%2BdefGHI", "IQoJb3", ""],
      ["IQoJb3JpZ2luX2VjEJ%252F%252F%252FwEaCXVzLWVhc3QtMSJHMEUCIQDabc%252BdefGHI", "IQoJb3", ""],
      ["https://admin:hunter2@proxy.example.com:8080/x", "hunter2", "@proxy.example.com:8080/x"],
      ['{"secretAccessKey":"wJalrXUtnFEMI/K7MDENG"}', "wJalrX", '{"secretAccessKey":"'],
      ["aws_secret_access_key=wJalrXUtnFEMI", "wJalrX", "aws_secret_access_key="],
      // A JWT glued to a word (found by test/fuzz): the opaque run takes its `eyJ` along.
      [
        "service#InvalidSignatureExceyJeojk1UOH-IL0jeZEGLWJXNGG.eyJZ-61f3Q_54u0T84fKe9__eYicJqOh0marBH6--ufdzp02l9mb0O99EPo3lp4ept",
        "LWJXNGG",
        "service#",
      ],
      // A JWT whose signature alone would not look random enough (found by test/fuzz).
      [
        "eyJZ-61f3Q_54u0T84fKe9__eYi.eyJZ-61f3Q_54u0T84fKe9__eYicJqOh0marBH6--ufdzp02l9mb0O99EPo3lp4.9SAENR32Tlrx-uD_CH-ZtgwlZEeNUDWo-omnHBQQCKJ",
        "ENR32Tlr",
        "",
      ],
    ] as const) {
      const out = redactString(`before ${text} after`);
      expect(out, text).toContain(REDACTED);
      expect(out, text).not.toContain(gone);
      expect(out, text).toContain(kept);
      expect(out, text).toMatch(/^before .* after$/);
    }
  });

  it("leaves what only looks long: paths, file names, identifiers, encoded paths, plain URLs", () => {
    for (const keep of [
      "/my-bucket/photos/2026/11/23/IMG_20261123_100000123.jpg",
      "Quarterly-Report-2026-final_version_v2.xlsx",
      "AuthorizationQueryParametersError",
      "SignatureDoesNotMatch-InvalidSignatureException",
      "photos%2F2026%2F11%2F23%2FIMG_20261123_100000123.jpg",
      "https://bucket.s3.us-east-1.amazonaws.com/users/me@example.com/k",
      "arn:aws:s3:::my-bucket-name-with-long-suffix-2026/prefix_with_words/and-more",
    ]) {
      expect(redactString(keep)).toBe(keep);
    }
  });

  it("stays linear on text built to make patterns backtrack", () => {
    for (const hostile of [
      "%25".repeat(100_000),
      "sig%25253D".repeat(20_000),
      "a-".repeat(100_000),
      "eyJ.".repeat(50_000),
      "https://".repeat(30_000),
      "Ab1+".repeat(50_000),
      `${"x".repeat(200_000)}@`,
    ]) {
      const started = performance.now();
      truncateRedacted(hostile, Number.POSITIVE_INFINITY);
      redactString(hostile);
      expect(performance.now() - started, hostile.slice(0, 12)).toBeLessThan(500);
    }
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

describe("cutAt", () => {
  it("cuts at a boundary as asked, and before the token a cut would split", () => {
    expect(cutAt("abc def", 3)).toBe("abc");
    expect(cutAt("abc def", 4)).toBe("abc ");
    expect(cutAt("abc def", 5)).toBe("abc ");
    expect(cutAt("sig=Ab1+x/y%2B=z.q_r-s~t u", 12)).toBe("");
    expect(cutAt("a; Ab1+x/y%2B=z.q_r-s~t u", 12)).toBe("a; ");
    expect(cutAt("abc", 10)).toBe("abc");
    expect(cutAt("abc", 0)).toBe("");
  });
});
