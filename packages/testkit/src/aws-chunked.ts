import { createHmac } from "node:crypto";
import { EMPTY_SHA256, sha256Hex } from "./sigv4.js";

/**
 * `Content-Encoding: aws-chunked` bodies: S3's own chunk framing inside the HTTP body, used for
 * streaming uploads. Each chunk is `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`; a
 * zero-size chunk ends the data and may be followed by trailing headers (checksums).
 *
 * - `signed` (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): every chunk carries a signature chained
 *   from the seed signature of the `Authorization` header.
 * - `signed-trailer` (`...-PAYLOAD-TRAILER`): the same, plus a signed trailer.
 * - `unsigned-trailer` (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): no chunk signatures, a trailer
 *   with the checksum. This is what `@aws-sdk/client-s3` sends for stream bodies of known
 *   length (CRC32 trailer by default).
 */

export type AwsChunkedMode = "signed" | "signed-trailer" | "unsigned-trailer";

export interface ChunkSigning {
  amzDate: string;
  /** `20130524/us-east-1/s3/aws4_request` */
  scope: string;
  key: Buffer;
  /** The signature of the request's `Authorization` header. */
  seedSignature: string;
}

export type AwsChunkedResult =
  | { ok: true; data: Buffer; trailers: Array<[string, string]> }
  | {
      ok: false;
      reason: "malformed" | "chunk-signature" | "trailer-signature";
      message: string;
      /** For signature failures: what the server signed and what the client sent. */
      stringToSign?: string;
      signatureProvided?: string;
    };

const CRLF = Buffer.from("\r\n");

export function chunkStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  chunk: Buffer,
): string {
  return [
    "AWS4-HMAC-SHA256-PAYLOAD",
    amzDate,
    scope,
    previousSignature,
    EMPTY_SHA256,
    sha256Hex(chunk),
  ].join("\n");
}

/** `trailerText` is every trailing header as `name:value\n`, signature line excluded. */
export function trailerStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  trailerText: string,
): string {
  return [
    "AWS4-HMAC-SHA256-TRAILER",
    amzDate,
    scope,
    previousSignature,
    sha256Hex(trailerText),
  ].join("\n");
}

function hmacHex(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}

class Reader {
  offset = 0;
  constructor(readonly body: Buffer) {}

  line(): string | undefined {
    const end = this.body.indexOf(CRLF, this.offset);
    if (end < 0) return undefined;
    const text = this.body.subarray(this.offset, end).toString("latin1");
    this.offset = end + 2;
    return text;
  }

  bytes(count: number): Buffer | undefined {
    if (this.offset + count > this.body.length) return undefined;
    const out = this.body.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  atEnd(): boolean {
    return this.offset >= this.body.length;
  }
}

interface ChunkHeader {
  size: number;
  signature: string | undefined;
}

function parseChunkHeader(line: string): ChunkHeader | undefined {
  const [sizeText = "", ...extensions] = line.split(";");
  if (!/^[0-9a-fA-F]+$/.test(sizeText)) return undefined;
  let sig: string | undefined;
  for (const extension of extensions) {
    const eq = extension.indexOf("=");
    if (eq > 0 && extension.slice(0, eq).trim() === "chunk-signature") {
      sig = extension.slice(eq + 1).trim();
    }
  }
  return { size: Number.parseInt(sizeText, 16), signature: sig };
}

const malformed = (message: string): AwsChunkedResult => ({
  ok: false,
  reason: "malformed",
  message,
});

function readTrailers(reader: Reader): Array<[string, string]> | undefined {
  const trailers: Array<[string, string]> = [];
  for (;;) {
    const line = reader.line();
    if (line === undefined) return undefined;
    if (line === "") return trailers;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    trailers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
}

function verifyTrailer(
  trailers: Array<[string, string]>,
  signing: ChunkSigning,
  previousSignature: string,
): AwsChunkedResult | undefined {
  const provided = trailers.find(([name]) => name === "x-amz-trailer-signature")?.[1];
  const text = trailers
    .filter(([name]) => name !== "x-amz-trailer-signature")
    .map(([name, value]) => `${name}:${value}\n`)
    .join("");
  const toSign = trailerStringToSign(signing.amzDate, signing.scope, previousSignature, text);
  if (provided !== undefined && hmacHex(signing.key, toSign) === provided) return undefined;
  return {
    ok: false,
    reason: "trailer-signature",
    message: "The trailer signature does not match.",
    stringToSign: toSign,
    signatureProvided: provided ?? "",
  };
}

/** Decodes an aws-chunked body to the object bytes, verifying signatures where the mode has them. */
export function decodeAwsChunked(
  body: Buffer,
  mode: AwsChunkedMode,
  signing?: ChunkSigning,
): AwsChunkedResult {
  const signed = mode !== "unsigned-trailer";
  if (signed && !signing) throw new Error("signed aws-chunked bodies need the signing context");
  const reader = new Reader(body);
  const parts: Buffer[] = [];
  let previousSignature = signing?.seedSignature ?? "";
  for (;;) {
    const line = reader.line();
    if (line === undefined) return malformed("The aws-chunked body ended inside a chunk header.");
    const header = parseChunkHeader(line);
    if (!header) return malformed(`Invalid aws-chunked chunk header: ${JSON.stringify(line)}`);
    const data = reader.bytes(header.size);
    if (!data) return malformed("The aws-chunked body ended inside a chunk.");
    if (signed && signing) {
      const toSign = chunkStringToSign(signing.amzDate, signing.scope, previousSignature, data);
      if (header.signature !== hmacHex(signing.key, toSign)) {
        return {
          ok: false,
          reason: "chunk-signature",
          message: "The chunk signature does not match.",
          stringToSign: toSign,
          signatureProvided: header.signature ?? "",
        };
      }
      previousSignature = header.signature;
    }
    if (header.size === 0) break;
    parts.push(data);
    if (reader.line() !== "") return malformed("An aws-chunked chunk is not followed by CRLF.");
  }
  if (mode === "signed") {
    // The final chunk is followed by an empty line; some clients stop right after it.
    if (!reader.atEnd() && reader.line() !== "")
      return malformed("Unexpected data after the last chunk.");
    return { ok: true, data: Buffer.concat(parts), trailers: [] };
  }
  const trailers = readTrailers(reader);
  if (!trailers) return malformed("The aws-chunked trailer is malformed.");
  if (mode === "signed-trailer" && signing) {
    const failure = verifyTrailer(trailers, signing, previousSignature);
    if (failure) return failure;
  }
  return { ok: true, data: Buffer.concat(parts), trailers };
}

export interface EncodeAwsChunkedOptions {
  mode: AwsChunkedMode;
  /** @default 65536 */
  chunkSize?: number;
  signing?: ChunkSigning;
  /** Trailing headers, e.g. `[["x-amz-checksum-crc32", "..."]]`. */
  trailers?: Array<[string, string]>;
}

/**
 * Frames bytes as a client would, for tests that need the signed variants (the AWS SDK v3 never
 * sends signed chunks).
 */
export function encodeAwsChunked(data: Buffer, options: EncodeAwsChunkedOptions): Buffer {
  const chunkSize = options.chunkSize ?? 65536;
  const signing = options.mode === "unsigned-trailer" ? undefined : options.signing;
  if (options.mode !== "unsigned-trailer" && !signing) {
    throw new Error("signed aws-chunked bodies need the signing context");
  }
  const out: Buffer[] = [];
  let previous = signing?.seedSignature ?? "";
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkSize)
    chunks.push(data.subarray(at, at + chunkSize));
  chunks.push(Buffer.alloc(0));
  for (const chunk of chunks) {
    let header = chunk.length.toString(16);
    if (signing) {
      previous = hmacHex(
        signing.key,
        chunkStringToSign(signing.amzDate, signing.scope, previous, chunk),
      );
      header += `;chunk-signature=${previous}`;
    }
    out.push(Buffer.from(`${header}\r\n`), chunk);
    if (chunk.length > 0) out.push(CRLF);
  }
  if (options.mode === "signed") {
    out.push(CRLF);
    return Buffer.concat(out);
  }
  const trailers = options.trailers ?? [];
  const text = trailers.map(([name, value]) => `${name}:${value}\n`).join("");
  for (const [name, value] of trailers) out.push(Buffer.from(`${name}:${value}\r\n`));
  if (options.mode === "signed-trailer" && signing) {
    const sig = hmacHex(
      signing.key,
      trailerStringToSign(signing.amzDate, signing.scope, previous, text),
    );
    out.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
  }
  out.push(CRLF);
  return Buffer.concat(out);
}
