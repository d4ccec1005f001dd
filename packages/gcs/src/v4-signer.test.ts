import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type V4PolicyCondition, signV4PostPolicy } from "./v4-post-policy.js";
import { prepareV4SignedUrl, signV4Url, type V4UrlStyle } from "./v4-signer.js";

// CI clones the repository with `shared/` beside it, so the data sits next to the repo root.
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const conformanceDir = path.resolve(repoRoot, "test", "conformance");
const account = JSON.parse(
  readFileSync(path.join(conformanceDir, "gcs-v4-signing-service-account.json"), "utf8"),
) as { client_email: string; private_key: string };
const suite = JSON.parse(
  readFileSync(path.join(conformanceDir, "gcs-v4-signing-tests.json"), "utf8"),
) as { signingV4Tests: SigningCase[]; postPolicyV4Tests: PolicyCase[] };
const publicKey = createPublicKey(account.private_key);

interface SigningCase {
  description: string;
  bucket: string;
  object?: string;
  method: string;
  expiration: number;
  timestamp: string;
  headers?: Record<string, string>;
  queryParameters?: Record<string, string>;
  scheme?: "https" | "http";
  urlStyle?: string;
  bucketBoundHostname?: string;
  hostname?: string;
  clientEndpoint?: string;
  emulatorHostname?: string;
  universeDomain?: string;
  expectedUrl: string;
  expectedCanonicalRequest?: string;
  expectedStringToSign?: string;
}

interface PolicyCase {
  description: string;
  policyInput: {
    scheme?: "https" | "http";
    urlStyle?: string;
    bucketBoundHostname?: string;
    bucket: string;
    object: string;
    expiration: number;
    timestamp: string;
    fields?: Record<string, string>;
    conditions?: { startsWith?: [string, string]; contentLengthRange?: [number, number] };
  };
  policyOutput: { url: string; fields: Record<string, string>; expectedDecodedPolicy: string };
}

/**
 * The expected URL of this case lists `X-Goog-Signature` in sorted position (as Go's
 * `url.Values.Encode` writes it) where every other case appends it last; the signature bytes
 * and every parameter are the same, so the test compares parameters for it, not bytes.
 */
const SIGNATURE_POSITION_DIFFERS = new Set(["Headers with colons"]);

/**
 * Cases whose `expectedCanonicalRequest`/`expectedStringToSign` are stale copies of the
 * "Simple GET" (or "Virtual Hosted Style") case: the RSA signature in their own
 * `expectedUrl` does not verify against them, while it does verify against what the URL
 * actually implies (`host:localhost`, `host:xyz.googleapis.com`, `host:storage.domain.com`, ...).
 */
const STALE_CANONICAL_REQUEST = new Set([
  "Simple GET with non-default hostname",
  "Endpoint on client with scheme",
  "Emulator host",
  "Endpoint on client takes precedence over emulator",
  "Hostname takes precendence over endpoint and emulator",
  "Universe domain",
  "Universe domain with virtual hosted style",
]);

const URL_STYLES: Record<string, V4UrlStyle> = {
  VIRTUAL_HOSTED_STYLE: "virtual-hosted",
  BUCKET_BOUND_HOSTNAME: "bucket-bound-hostname",
  PATH_STYLE: "path",
};

type TargetInput = Pick<
  SigningCase,
  "bucket" | "object" | "scheme" | "urlStyle" | "bucketBoundHostname" | "universeDomain"
>;

function targetOf(c: TargetInput, endpoint: string | undefined) {
  return {
    bucket: c.bucket,
    ...(c.object === undefined ? {} : { object: c.object }),
    ...(c.scheme === undefined ? {} : { scheme: c.scheme }),
    ...(endpoint === undefined ? {} : { host: endpoint }),
    ...(c.universeDomain ? { universeDomain: c.universeDomain } : {}),
    ...(c.urlStyle ? { urlStyle: URL_STYLES[c.urlStyle]! } : {}),
    ...(c.bucketBoundHostname ? { bucketBoundHostname: c.bucketBoundHostname } : {}),
  };
}

function optionsOf(c: SigningCase) {
  // The client configuration precedence the cases encode: hostname, endpoint, emulator host.
  const endpoint = c.hostname ?? c.clientEndpoint ?? c.emulatorHostname;
  return {
    ...targetOf(c, endpoint),
    method: c.method,
    expiresInSeconds: c.expiration,
    timestampMs: Date.parse(c.timestamp),
    clientEmail: account.client_email,
    ...(c.headers ? { headers: c.headers } : {}),
    ...(c.queryParameters ? { queryParams: c.queryParameters } : {}),
  };
}

function signatureVerifies(stringToSign: string, url: string): boolean {
  const signature = new URL(url).searchParams.get("X-Goog-Signature") ?? "";
  return verify("sha256", Buffer.from(stringToSign), publicKey, Buffer.from(signature, "hex"));
}

function sortedParams(url: string): string[] {
  return new URL(url).search.slice(1).split("&").sort();
}

describe("V4 signed URLs: GCS conformance (signingV4Tests)", () => {
  it("covers all 29 published cases", () => {
    expect(suite.signingV4Tests).toHaveLength(29);
  });

  for (const c of suite.signingV4Tests) {
    it(c.description, async () => {
      const signed = await signV4Url({ ...optionsOf(c), privateKey: account.private_key });

      expect(signatureVerifies(signed.stringToSign, signed.url)).toBe(true);
      if (SIGNATURE_POSITION_DIFFERS.has(c.description)) {
        expect(signed.url.split("?")[0]).toBe(c.expectedUrl.split("?")[0]);
        expect(sortedParams(signed.url)).toEqual(sortedParams(c.expectedUrl));
      } else {
        expect(signed.url).toBe(c.expectedUrl);
      }

      const dataIsConsistent = signatureVerifies(c.expectedStringToSign ?? "", c.expectedUrl);
      expect(dataIsConsistent).toBe(!STALE_CANONICAL_REQUEST.has(c.description));
      if (dataIsConsistent) {
        expect(signed.canonicalRequest).toBe(c.expectedCanonicalRequest);
        expect(signed.stringToSign).toBe(c.expectedStringToSign);
      }
    });
  }
});

describe("V4 POST policies: GCS conformance (postPolicyV4Tests)", () => {
  it("covers all 11 published cases", () => {
    expect(suite.postPolicyV4Tests).toHaveLength(11);
  });

  for (const c of suite.postPolicyV4Tests) {
    it(c.description, async () => {
      const input = c.policyInput;
      const conditions: V4PolicyCondition[] = [];
      if (input.conditions?.startsWith) {
        conditions.push(["starts-with", ...input.conditions.startsWith]);
      }
      if (input.conditions?.contentLengthRange) {
        conditions.push(["content-length-range", ...input.conditions.contentLengthRange]);
      }
      const signed = await signV4PostPolicy({
        ...targetOf(input, undefined),
        object: input.object,
        expiresInSeconds: input.expiration,
        timestampMs: Date.parse(input.timestamp),
        clientEmail: account.client_email,
        privateKey: account.private_key,
        ...(input.fields ? { fields: input.fields } : {}),
        conditions,
      });

      expect(signed.url).toBe(c.policyOutput.url);
      expect(signed.fields).toEqual(c.policyOutput.fields);
      expect(signed.fields.policy).toBe(c.policyOutput.fields.policy);
      expect(JSON.parse(signed.policy)).toEqual(JSON.parse(c.policyOutput.expectedDecodedPolicy));
    });
  }
});

describe("signV4Url", () => {
  const base = {
    bucket: "b",
    object: "dir/a b+c.txt",
    method: "get",
    expiresInSeconds: 900,
    timestampMs: Date.parse("2026-11-02T10:20:30.999Z"),
    clientEmail: "sa@p.iam.gserviceaccount.com",
  };

  it("uses a caller's signer and hex-encodes what it returns", async () => {
    const seen: string[] = [];
    const signed = await signV4Url({
      ...base,
      sign: async (stringToSign) => {
        seen.push(stringToSign);
        return Uint8Array.of(0, 15, 255);
      },
    });
    expect(seen).toEqual([signed.stringToSign]);
    expect(signed.url.endsWith("&X-Goog-Signature=000fff")).toBe(true);
  });

  it("drops milliseconds, upper-cases the method and encodes the object but not its slashes", () => {
    const prepared = prepareV4SignedUrl(base);
    expect(prepared.unsignedUrl).toMatch(
      /^https:\/\/storage\.googleapis\.com\/b\/dir\/a%20b%2Bc\.txt\?X-Goog-Algorithm=/,
    );
    expect(prepared.canonicalRequest.split("\n")[0]).toBe("GET");
    expect(prepared.stringToSign.split("\n").slice(0, 3)).toEqual([
      "GOOG4-RSA-SHA256",
      "20261102T102030Z",
      "20261102/auto/storage/goog4_request",
    ]);
  });

  it("signs the host without its port, as the Node.js client does", () => {
    const prepared = prepareV4SignedUrl({ ...base, host: "http://127.0.0.1:4443" });
    expect(prepared.unsignedUrl.startsWith("http://127.0.0.1:4443/b/dir/")).toBe(true);
    expect(prepared.canonicalRequest).toContain("\nhost:127.0.0.1\n");
  });

  it("refuses expirations GCS would refuse", () => {
    expect(() => prepareV4SignedUrl({ ...base, expiresInSeconds: 604_801 })).toThrow(RangeError);
    expect(() => prepareV4SignedUrl({ ...base, expiresInSeconds: 0 })).toThrow(RangeError);
    expect(() => prepareV4SignedUrl({ ...base, expiresInSeconds: 1.5 })).toThrow(RangeError);
  });

  it("needs a bucket-bound hostname for that URL style", () => {
    expect(() => prepareV4SignedUrl({ ...base, urlStyle: "bucket-bound-hostname" })).toThrow(
      /bucketBoundHostname/,
    );
  });
});
