import { describe, expect, it } from "vitest";
import { checksumAlgorithmOf, checksumBase64, crc32c, findChecksumMismatch } from "./checksums.js";

describe("flexible checksums", () => {
  it("computes the standard check values", () => {
    // "123456789" is the catalogue check input for CRC algorithms.
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(checksumBase64("crc32", Buffer.from("123456789"))).toBe(
      Buffer.from("cbf43926", "hex").toString("base64"),
    );
  });

  it("matches what S3 and the SDK put on the wire", () => {
    // Captured from @aws-sdk/client-s3 3.1169 PutObject requests.
    expect(checksumBase64("crc32", Buffer.from("hello world"))).toBe("DUoRhQ==");
    expect(checksumBase64("crc32", Buffer.from("abcdef"))).toBe("S4457w==");
    // The trailer of the S3 documentation's 66560-byte chunked example.
    expect(checksumBase64("crc32c", Buffer.alloc(66560, "a"))).toBe("sOO8/Q==");
    expect(checksumBase64("sha256", Buffer.alloc(0))).toBe(
      "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    );
  });

  it("finds the first mismatching checksum header and ignores the rest", () => {
    const data = Buffer.from("hello world");
    expect(findChecksumMismatch([["x-amz-checksum-crc32", "DUoRhQ=="]], data)).toBeUndefined();
    expect(
      findChecksumMismatch(
        [
          ["content-type", "text/plain"],
          ["X-Amz-Checksum-Crc32", "AAAAAA=="],
        ],
        data,
      ),
    ).toEqual({ algorithm: "crc32", expected: "AAAAAA==", actual: "DUoRhQ==" });
    expect(checksumAlgorithmOf("x-amz-checksum-crc64nvme")).toBeUndefined();
    expect(checksumAlgorithmOf("x-amz-checksum-mode")).toBeUndefined();
  });
});
