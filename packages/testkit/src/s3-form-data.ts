/**
 * A small, bounded `multipart/form-data` reader for browser-style POST uploads (RFC 7578), as
 * S3 reads them: text fields first, then the part named `file`; whatever follows the file is
 * ignored, and the fields before it may not exceed a byte cap (S3's is 20 KB). It works on a body
 * already read in full (the server caps that too), never throws, and reports what it could not
 * parse.
 */

export interface FormField {
  /** The field name as sent (S3 compares names case-insensitively). */
  name: string;
  value: string;
}

export interface FormFile {
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

export type FormDataResult =
  | { ok: true; fields: FormField[]; file: FormFile | undefined }
  | { ok: false; reason: "malformed" | "pre-data-too-large"; message: string };

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a `multipart/form-data` Content-Type; undefined for anything else. */
export function formDataBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    // RFC 2046: 1 to 70 characters.
    return value.length >= 1 && value.length <= 70 ? value : undefined;
  }
  return undefined;
}

function dispositionParam(disposition: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(
    disposition,
  );
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

interface PartHeaders {
  name: string | undefined;
  filename: string | undefined;
  contentType: string | undefined;
}

function parsePartHeaders(text: string): PartHeaders | undefined {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-disposition") disposition = value;
    else if (name === "content-type") contentType = value;
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) return undefined;
  return {
    name: dispositionParam(disposition, "name"),
    filename: dispositionParam(disposition, "filename"),
    contentType,
  };
}

/**
 * Reads fields up to and including the `file` part.
 * @param maxPreDataBytes how many bytes may precede the file's content.
 */
export function parseFormData(
  body: Buffer,
  boundary: string,
  maxPreDataBytes: number,
): FormDataResult {
  const malformed = (message: string): FormDataResult => ({
    ok: false,
    reason: "malformed",
    message,
  });
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.concat([CRLF, delimiter]);
  const fields: FormField[] = [];
  // The first delimiter may follow a preamble, which is ignored.
  let at = 0;
  if (!body.subarray(0, delimiter.length).equals(delimiter)) {
    const found = body.indexOf(separator);
    if (found < 0) return malformed("no opening boundary");
    at = found + CRLF.length;
  }
  at += delimiter.length;
  for (;;) {
    if (body.subarray(at, at + 2).toString("latin1") === "--") {
      return { ok: true, fields, file: undefined };
    }
    if (!body.subarray(at, at + 2).equals(CRLF))
      return malformed("a boundary not followed by CRLF");
    at += 2;
    const headerEnd = body.indexOf(HEADER_END, at);
    if (headerEnd < 0) return malformed("part headers without an end");
    if (headerEnd > maxPreDataBytes) {
      return { ok: false, reason: "pre-data-too-large", message: "fields before the file" };
    }
    const headers = parsePartHeaders(body.subarray(at, headerEnd).toString("utf8"));
    if (!headers || headers.name === undefined) return malformed("a part without a form-data name");
    const contentStart = headerEnd + HEADER_END.length;
    const contentEnd = body.indexOf(separator, contentStart);
    if (contentEnd < 0) return malformed("a part without a closing boundary");
    if (headers.name.toLowerCase() === "file") {
      // Whatever follows the file is ignored, as S3 does.
      return {
        ok: true,
        fields,
        file: {
          filename: headers.filename,
          contentType: headers.contentType,
          data: body.subarray(contentStart, contentEnd),
        },
      };
    }
    if (contentEnd > maxPreDataBytes) {
      return { ok: false, reason: "pre-data-too-large", message: "fields before the file" };
    }
    fields.push({
      name: headers.name,
      value: body.subarray(contentStart, contentEnd).toString("utf8"),
    });
    at = contentEnd + separator.length;
  }
}
