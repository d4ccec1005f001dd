import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ChunkSigning,
  decodeAwsChunked,
  encodeAwsChunked,
  trailerStringToSign,
} from "./aws-chunked.js";
import {
  type RawHeader,
  canonicalRequest,
  credentialScopeString,
  signature,
  signedHeaderNames,
  signingKey,
  stringToSign,
} from "./sigv4.js";

// The worked example of the S3 documentation, "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks": 66560 bytes of "a" in 64 KiB chunks.
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SCOPE = { date: "20130524", region: "us-east-1", service: "s3" };
const AMZ_DATE = "20130524T000000Z";
const PAYLOAD = Buffer.alloc(66560, "a");

function exampleSigning(): ChunkSigning {
  const headers: RawHeader[] = [
    ["Host", "s3.amazonaws.com"],
    ["x-amz-date", AMZ_DATE],
    ["x-amz-storage-class", "REDUCED_REDUNDANCY"],
    ["x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"],
    ["Content-Encoding", "aws-chunked"],
    ["x-amz-decoded-content-length", "66560"],
    ["Content-Length", "66824"],
  ];
  const creq = canonicalRequest({
    method: "PUT",
    path: "/examplebucket/chunkObject.txt",
    query: "",
    headers,
    signedHeaders: signedHeaderNames(headers),
    payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  });
  const key = signingKey(SECRET, SCOPE);
  const scope = credentialScopeString(SCOPE);
  return {
    amzDate: AMZ_DATE,
    scope,
    key,
    seedSignature: signature(key, stringToSign(AMZ_DATE, scope, creq)),
  };
}

describe("aws-chunked with signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", () => {
  it("reproduces the documented seed and chunk signatures and the body length", () => {
    const signing = exampleSigning();
    expect(signing.seedSignature).toBe(
      "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    );
    const body = encodeAwsChunked(PAYLOAD, { mode: "signed", signing });
    expect(body.length).toBe(66824);
    const text = body.toString("latin1");
    expect(
      text.startsWith(
        "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
      ),
    ).toBe(true);
    expect(text).toContain(
      "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
    );
    expect(
      text.endsWith(
        "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
      ),
    ).toBe(true);
  });

  it("decodes to the raw bytes when every chunk signature verifies", () => {
    const signing = exampleSigning();
    const result = decodeAwsChunked(
      encodeAwsChunked(PAYLOAD, { mode: "signed", signing }),
      "signed",
      signing,
    );
    expect(result.ok && result.data.equals(PAYLOAD)).toBe(true);
  });

  it("rejects a tampered chunk with the chunk's string to sign", () => {
    const signing = exampleSigning();
    const body = encodeAwsChunked(PAYLOAD, { mode: "signed", signing });
    body[200] = "b".charCodeAt(0);
    const result = decodeAwsChunked(body, "signed", signing);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("chunk-signature");
    expect(result.signatureProvided).toBe(
      "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    );
    expect(result.stringToSign?.split("\n").slice(0, 4)).toEqual([
      "AWS4-HMAC-SHA256-PAYLOAD",
      AMZ_DATE,
      "20130524/us-east-1/s3/aws4_request",
      signing.seedSignature,
    ]);
  });

  it("rejects chunks signed from another seed (a wrong secret)", () => {
    const signing = exampleSigning();
    const body = encodeAwsChunked(PAYLOAD, {
      mode: "signed",
      signing: { ...signing, key: signingKey("other", SCOPE) },
    });
    expect(decodeAwsChunked(body, "signed", signing)).toMatchObject({
      ok: false,
      reason: "chunk-signature",
    });
  });
});

describe("aws-chunked with a signed trailer", () => {
  it("reproduces the documented trailer signature", () => {
    // From "Signature calculation ... including trailing headers" in the S3 documentation.
    const toSign = trailerStringToSign(
      AMZ_DATE,
      "20130524/us-east-1/s3/aws4_request",
      "e05ab64fe1dfdbf0b5870abbaabdb063c371d4e96f2767e6934d90529c5ae850",
      "x-amz-checksum-crc32c:wdBDMA==\n",
    );
    expect(createHmac("sha256", signingKey(SECRET, SCOPE)).update(toSign).digest("hex")).toBe(
      "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf",
    );
  });

  it("round-trips and rejects a changed trailer", () => {
    const signing = exampleSigning();
    const trailers: Array<[string, string]> = [["x-amz-checksum-crc32c", "sOO8/Q=="]];
    const body = encodeAwsChunked(PAYLOAD, { mode: "signed-trailer", signing, trailers });
    const decoded = decodeAwsChunked(body, "signed-trailer", signing);
    expect(decoded.ok && decoded.data.equals(PAYLOAD)).toBe(true);
    expect(decoded.ok && decoded.trailers[0]).toEqual(["x-amz-checksum-crc32c", "sOO8/Q=="]);

    const forged = Buffer.from(body.toString("latin1").replace("sOO8/Q==", "AAAAAA=="), "latin1");
    expect(decodeAwsChunked(forged, "signed-trailer", signing)).toMatchObject({
      ok: false,
      reason: "trailer-signature",
    });
  });
});

describe("aws-chunked with an unsigned trailer (what @aws-sdk/client-s3 sends for streams)", () => {
  it("decodes the exact framing the SDK sent in a captured PutObject", () => {
    const body = Buffer.from("3\r\nabc\r\n3\r\ndef\r\n0\r\nx-amz-checksum-crc32:S4457w==\r\n\r\n");
    const result = decodeAwsChunked(body, "unsigned-trailer");
    expect(result).toEqual({
      ok: true,
      data: Buffer.from("abcdef"),
      trailers: [["x-amz-checksum-crc32", "S4457w=="]],
    });
  });

  it("reports truncated and garbled bodies as malformed instead of storing them", () => {
    for (const text of [
      "3\r\nab",
      "zz\r\nabc\r\n0\r\n\r\n",
      "3\r\nabcXX0\r\n\r\n",
      "3\r\nabc\r\n0\r\nbroken\r\n\r\n",
    ]) {
      expect(decodeAwsChunked(Buffer.from(text), "unsigned-trailer")).toMatchObject({
        ok: false,
        reason: "malformed",
      });
    }
  });
});
