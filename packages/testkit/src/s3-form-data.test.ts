import { describe, expect, it } from "vitest";
import { formDataBoundary, parseFormData } from "./s3-form-data.js";

const B = "----formdata-test-1234";

function body(...parts: string[]): Buffer {
  return Buffer.from(`${parts.map((part) => `--${B}\r\n${part}\r\n`).join("")}--${B}--\r\n`);
}

const field = (name: string, value: string) =>
  `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;

describe("formDataBoundary", () => {
  it("reads the boundary of multipart/form-data only", () => {
    expect(formDataBoundary(`multipart/form-data; boundary=${B}`)).toBe(B);
    expect(formDataBoundary(`Multipart/Form-Data; charset=utf-8; boundary="${B}"`)).toBe(B);
    expect(formDataBoundary("multipart/form-data")).toBeUndefined();
    expect(formDataBoundary(`multipart/mixed; boundary=${B}`)).toBeUndefined();
    expect(formDataBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeUndefined();
    expect(formDataBoundary(undefined)).toBeUndefined();
  });
});

describe("parseFormData", () => {
  it("reads the fields before the file and ignores whatever follows it", () => {
    const parsed = parseFormData(
      Buffer.concat([
        Buffer.from("a preamble\r\n"),
        body(
          field("key", "a/b"),
          field("x-amz-meta-note", "hé\r\nllo"),
          'Content-Disposition: form-data; name="file"; filename="a \\"b\\".txt"\r\nContent-Type: text/plain\r\n\r\nthe\r\nfile',
          field("after", "ignored"),
        ),
      ]),
      B,
      1000,
    );
    expect(parsed).toEqual({
      ok: true,
      fields: [
        { name: "key", value: "a/b" },
        { name: "x-amz-meta-note", value: "hé\r\nllo" },
      ],
      file: { filename: 'a "b".txt', contentType: "text/plain", data: Buffer.from("the\r\nfile") },
    });
  });

  it("reports a form with no file", () => {
    expect(parseFormData(body(field("key", "k")), B, 1000)).toEqual({
      ok: true,
      fields: [{ name: "key", value: "k" }],
      file: undefined,
    });
  });

  it("refuses fields before the file beyond the cap", () => {
    const parsed = parseFormData(body(field("pad", "p".repeat(2000)), field("file", "x")), B, 1000);
    expect(parsed).toMatchObject({ ok: false, reason: "pre-data-too-large" });
  });

  it("reports malformed bodies instead of throwing", () => {
    for (const broken of [
      Buffer.from("no boundary at all"),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="k"\r\n\r\nunterminated`),
      Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--${B}--`),
      Buffer.from(`--${B}\r\nbroken header line\r\n\r\nx\r\n--${B}--`),
      Buffer.from(`--${B}garbage`),
    ]) {
      expect(parseFormData(broken, B, 1000)).toMatchObject({ ok: false, reason: "malformed" });
    }
  });
});
