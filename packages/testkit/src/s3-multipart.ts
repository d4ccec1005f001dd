import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { XMLParser } from "fast-xml-parser";
import {
  type ChecksumAlgorithm,
  checksumAlgorithmOf,
  checksumBase64,
  crc32c,
} from "./checksums.js";
import {
  type S3ErrorResponse,
  accessDenied,
  badDigest,
  entityTooSmall,
  invalidArgument,
  invalidPart,
  invalidPartOrder,
  invalidRequest,
  malformedXml,
  methodNotAllowed,
  noSuchKey,
  noSuchUpload,
  notImplemented,
  xmlDocument,
} from "./s3-errors.js";
import type {
  ObjectMeta,
  ObjectStore,
  OperationOptions,
  OperationRequest,
  OperationResult,
} from "./s3-operations.js";
import { percentDecode } from "./sigv4.js";

/**
 * S3 multipart uploads, as `@aws-sdk/lib-storage`'s `Upload` and the SDK's commands drive them:
 * CreateMultipartUpload (`POST ?uploads`), UploadPart (`PUT ?partNumber&uploadId`),
 * UploadPartCopy (the same with `x-amz-copy-source`), CompleteMultipartUpload
 * (`POST ?uploadId`), AbortMultipartUpload (`DELETE ?uploadId`) and ListParts
 * (`GET ?uploadId`).
 *
 * As S3 computes them: a part's ETag is the quoted MD5 hex of its bytes; the object's is the MD5
 * of the concatenated binary part MD5s, a dash and the part count (`"<hex>-4"`). With a checksum
 * algorithm chosen at creation (`x-amz-checksum-algorithm`, which lib-storage sends as CRC32),
 * every part has that checksum (the client's, verified, or the server's own) and the object gets
 * the composite checksum: the algorithm over the concatenated binary part checksums, base64, a
 * dash and the part count (`COMPOSITE`), or the checksum of the whole object for CRC32/CRC32C
 * created with `x-amz-checksum-type: FULL_OBJECT`.
 */

export type MultipartChecksumType = "COMPOSITE" | "FULL_OBJECT";

export interface UploadedPart {
  partNumber: number;
  data: Buffer;
  /** Quoted MD5 hex, as returned in `ETag`. */
  etag: string;
  lastModified: number;
  /** Base64 checksum of the upload's algorithm, when it has one. */
  checksum?: string;
}

export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  initiator: string;
  contentType: string;
  userMetadata: Array<[string, string]>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: MultipartChecksumType;
  parts: Map<number, UploadedPart>;
}

/** S3's minimum size for every part but the last. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

const failure = (operation: string, error: S3ErrorResponse): OperationResult => ({
  operation,
  status: error.status,
  headers: [],
  error,
});

/** What names a request's operation: known before it is authenticated. */
type RequestShape = Pick<OperationRequest, "method" | "query" | "headers">;

function header(request: RequestShape, name: string): string | undefined {
  return request.headers.find(([candidate]) => candidate.toLowerCase() === name)?.[1];
}

function md5(data: Buffer): Buffer {
  return createHash("md5").update(data).digest();
}

function unquote(etag: string): string {
  const trimmed = etag.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** `ChecksumCRC32` (response element) for `crc32`. */
function checksumElement(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithm.toUpperCase()}`;
}

function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

/** Whether a request is one of the operations above (so not plain object CRUD). */
export function isMultipartRequest(request: RequestShape): boolean {
  return (
    request.query.has("uploadId") || (request.method === "POST" && request.query.has("uploads"))
  );
}

/** The operation name of a multipart request, also for requests refused before they run. */
export function multipartOperationName(request: RequestShape): string {
  if (!request.query.has("uploadId")) return "CreateMultipartUpload";
  switch (request.method) {
    case "PUT":
      return header(request, "x-amz-copy-source") === undefined ? "UploadPart" : "UploadPartCopy";
    case "POST":
      return "CompleteMultipartUpload";
    case "DELETE":
      return "AbortMultipartUpload";
    case "GET":
      return "ListParts";
    default:
      return "Multipart";
  }
}

const ALGORITHM_NAMES: Readonly<Record<string, ChecksumAlgorithm>> = {
  CRC32: "crc32",
  CRC32C: "crc32c",
  SHA1: "sha1",
  SHA256: "sha256",
};

function createMultipartUpload(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const operation = "CreateMultipartUpload";
  const algorithmName = header(request, "x-amz-checksum-algorithm")?.trim().toUpperCase();
  const typeName = header(request, "x-amz-checksum-type")?.trim().toUpperCase();
  let checksumAlgorithm: ChecksumAlgorithm | undefined;
  if (algorithmName !== undefined) {
    checksumAlgorithm = ALGORITHM_NAMES[algorithmName];
    // CRC64NVME (and S3's newer algorithms) are valid in S3 but not computed here.
    if (!checksumAlgorithm) {
      if (algorithmName === "CRC64NVME") return failure(operation, notImplemented());
      return failure(
        operation,
        invalidRequest(
          "Value for x-amz-checksum-algorithm header is invalid. Valid values are CRC32, CRC32C, SHA1, SHA256, CRC64NVME.",
        ),
      );
    }
  }
  let checksumType: MultipartChecksumType | undefined;
  if (typeName !== undefined) {
    if (typeName !== "COMPOSITE" && typeName !== "FULL_OBJECT") {
      return failure(operation, invalidRequest("Value for x-amz-checksum-type header is invalid."));
    }
    if (!checksumAlgorithm) {
      return failure(
        operation,
        invalidRequest(
          "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        ),
      );
    }
    if (
      typeName === "FULL_OBJECT" &&
      checksumAlgorithm !== "crc32" &&
      checksumAlgorithm !== "crc32c"
    ) {
      return failure(
        operation,
        invalidRequest(
          `The FULL_OBJECT checksum type cannot be used with the ${checksumAlgorithm} checksum algorithm.`,
        ),
      );
    }
    checksumType = typeName;
  }
  if (checksumAlgorithm && !checksumType) checksumType = "COMPOSITE";
  const bucket = request.bucket as string;
  const key = request.key as string;
  const uploadId = randomBytes(48).toString("base64url");
  store.uploads.set(uploadId, {
    uploadId,
    bucket,
    key,
    initiated: request.nowMs,
    initiator: request.accessKeyId,
    contentType: header(request, "content-type") ?? "binary/octet-stream",
    userMetadata: request.headers
      .filter(([name]) => name.toLowerCase().startsWith("x-amz-meta-"))
      .map(([name, value]): [string, string] => [name, value]),
    ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
    ...(checksumType ? { checksumType } : {}),
    parts: new Map(),
  });
  const headers: Array<[string, string]> = [["Content-Type", "application/xml"]];
  if (checksumAlgorithm && checksumType) {
    headers.push(
      ["x-amz-checksum-algorithm", checksumAlgorithm.toUpperCase()],
      ["x-amz-checksum-type", checksumType],
    );
  }
  return {
    operation,
    status: 200,
    headers,
    body: xmlDocument(
      "InitiateMultipartUploadResult",
      { "@_xmlns": S3_NAMESPACE, Bucket: bucket, Key: key, UploadId: uploadId },
      options.flavor,
    ),
  };
}

/** The upload named by `uploadId`, if it exists for this bucket and key. */
function findUpload(request: OperationRequest, store: ObjectStore): MultipartUpload | undefined {
  const upload = store.uploads.get(request.query.get("uploadId") ?? "");
  if (!upload || upload.bucket !== request.bucket || upload.key !== request.key) return undefined;
  return upload;
}

function partNumberOf(request: OperationRequest): number | S3ErrorResponse {
  const text = request.query.get("partNumber") ?? "";
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (value >= 1 && value <= MAX_PART_NUMBER) return value;
  return invalidArgument("Part number must be an integer between 1 and 10000, inclusive", {
    name: "partNumber",
    value: text,
  });
}

/** Stores a part; the bytes' checksums were verified by the server before it got here. */
function storePart(
  upload: MultipartUpload,
  partNumber: number,
  data: Buffer,
  provided: readonly (readonly [string, string])[],
  nowMs: number,
): UploadedPart | S3ErrorResponse {
  let checksum: string | undefined;
  for (const [name, value] of provided) {
    const algorithm = checksumAlgorithmOf(name);
    if (!algorithm) continue;
    if (algorithm !== upload.checksumAlgorithm) {
      return invalidRequest(
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm ?? "null"}, actual checksum Type: ${algorithm}`,
      );
    }
    checksum = value.trim();
  }
  if (upload.checksumAlgorithm && checksum === undefined) {
    checksum = checksumBase64(upload.checksumAlgorithm, data);
  }
  const part: UploadedPart = {
    partNumber,
    data,
    etag: `"${md5(data).toString("hex")}"`,
    lastModified: nowMs,
    ...(checksum === undefined ? {} : { checksum }),
  };
  upload.parts.set(partNumber, part);
  return part;
}

function uploadPart(
  request: OperationRequest,
  upload: MultipartUpload,
  partNumber: number,
): OperationResult {
  const part = storePart(upload, partNumber, request.body, request.checksums, request.nowMs);
  if ("status" in part) return failure("UploadPart", part);
  const headers: Array<[string, string]> = [["ETag", part.etag]];
  if (upload.checksumAlgorithm && part.checksum !== undefined) {
    headers.push([checksumHeader(upload.checksumAlgorithm), part.checksum]);
  }
  return { operation: "UploadPart", status: 200, headers, body: "" };
}

/** `/bucket/key`, `bucket/key`, percent-encoded, with an optional `?versionId=`. */
function parseCopySource(value: string): { bucket: string; key: string } | undefined {
  const withoutVersion = value.split("?")[0] ?? "";
  const decoded = percentDecode(withoutVersion).toString("utf8");
  const path = decoded.startsWith("/") ? decoded.slice(1) : decoded;
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

function uploadPartCopy(
  request: OperationRequest,
  store: ObjectStore,
  upload: MultipartUpload,
  partNumber: number,
  options: OperationOptions,
): OperationResult {
  const operation = "UploadPartCopy";
  const source = parseCopySource(header(request, "x-amz-copy-source") ?? "");
  if (!source) {
    return failure(
      operation,
      invalidArgument(
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        {
          name: "x-amz-copy-source",
          value: header(request, "x-amz-copy-source") ?? "",
        },
      ),
    );
  }
  if (options.deniedPrefixes.some((prefix) => source.key.startsWith(prefix))) {
    return failure(
      operation,
      accessDenied(options.flavor, request.accessKeyId, "storage.objects.get"),
    );
  }
  const data = store.objects.get(`${source.bucket}/${source.key}`);
  if (!data) return failure(operation, noSuchKey(options.flavor, source.bucket, source.key));
  let slice = data;
  const range = header(request, "x-amz-copy-source-range");
  if (range !== undefined) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
    if (!match) {
      return failure(
        operation,
        invalidArgument(
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
          { name: "x-amz-copy-source-range", value: range },
        ),
      );
    }
    const first = Number(match[1]);
    const last = Number(match[2]);
    if (first > last || last >= data.length) {
      return failure(
        operation,
        invalidRequest(`Range specified is not valid for source object of size: ${data.length}`),
      );
    }
    slice = data.subarray(first, last + 1);
  }
  const part = storePart(upload, partNumber, Buffer.from(slice), [], request.nowMs);
  if ("status" in part) return failure(operation, part);
  const result: Record<string, unknown> = {
    "@_xmlns": S3_NAMESPACE,
    ETag: part.etag,
    LastModified: new Date(part.lastModified).toISOString(),
  };
  if (upload.checksumAlgorithm && part.checksum !== undefined) {
    result[checksumElement(upload.checksumAlgorithm)] = part.checksum;
  }
  return {
    operation,
    status: 200,
    headers: [["Content-Type", "application/xml"]],
    body: xmlDocument("CopyPartResult", result, options.flavor),
  };
}

interface CompletedPartEntry {
  partNumber: number;
  etag: string;
  checksums: Map<ChecksumAlgorithm, string>;
}

const completeParser = new XMLParser({
  parseTagValue: false,
  ignoreAttributes: true,
  isArray: (name) => name === "Part",
});

/** The `<Part>` list of a CompleteMultipartUpload body; undefined when it does not validate. */
function parseCompleteBody(body: Buffer): CompletedPartEntry[] | undefined {
  let document: unknown;
  try {
    document = completeParser.parse(body.toString("utf8"), true);
  } catch {
    return undefined;
  }
  const root = (document as { CompleteMultipartUpload?: unknown }).CompleteMultipartUpload;
  if (typeof root !== "object" || root === null) return undefined;
  const parts = (root as { Part?: unknown }).Part;
  if (!Array.isArray(parts) || parts.length === 0) return undefined;
  const entries: CompletedPartEntry[] = [];
  for (const part of parts as Array<Record<string, unknown>>) {
    const number = String(part["PartNumber"] ?? "");
    const etag = part["ETag"];
    if (!/^\d+$/.test(number) || typeof etag !== "string") return undefined;
    const checksums = new Map<ChecksumAlgorithm, string>();
    for (const [element, algorithm] of Object.entries(ALGORITHM_NAMES)) {
      const value = part[`Checksum${element}`];
      if (typeof value === "string") checksums.set(algorithm, value.trim());
    }
    entries.push({ partNumber: Number(number), etag, checksums });
  }
  return entries;
}

function fullObjectChecksum(algorithm: ChecksumAlgorithm, parts: readonly UploadedPart[]): string {
  // CRC32 and CRC32C only: FULL_OBJECT is refused for the others at creation.
  let crc = 0;
  for (const part of parts) {
    crc = algorithm === "crc32" ? crc32(part.data, crc) : crc32c(part.data, crc);
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0);
  return out.toString("base64");
}

function compositeChecksum(algorithm: ChecksumAlgorithm, parts: readonly UploadedPart[]): string {
  const joined = Buffer.concat(
    parts.map((part) =>
      Buffer.from(part.checksum ?? checksumBase64(algorithm, part.data), "base64"),
    ),
  );
  return `${checksumBase64(algorithm, joined)}-${parts.length}`;
}

function objectUrl(request: OperationRequest, bucket: string, key: string): string {
  const host = header(request, "host") ?? "127.0.0.1";
  const encodedKey = key
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
  return `http://${host}/${encodeURIComponent(bucket)}/${encodedKey}`;
}

function completeMultipartUpload(
  request: OperationRequest,
  store: ObjectStore,
  upload: MultipartUpload,
  options: OperationOptions,
): OperationResult {
  const operation = "CompleteMultipartUpload";
  const entries = parseCompleteBody(request.body);
  if (!entries) return failure(operation, malformedXml());
  for (let i = 1; i < entries.length; i++) {
    if (
      (entries[i] as CompletedPartEntry).partNumber <=
      (entries[i - 1] as CompletedPartEntry).partNumber
    ) {
      return failure(operation, invalidPartOrder(upload.uploadId));
    }
  }
  const requestedType = header(request, "x-amz-checksum-type")?.trim().toUpperCase();
  if (requestedType !== undefined && requestedType !== (upload.checksumType ?? "")) {
    return failure(
      operation,
      invalidRequest(
        `The upload was created using the ${upload.checksumType ?? "null"} checksum mode. The complete request must use the same checksum mode.`,
      ),
    );
  }
  const parts: UploadedPart[] = [];
  for (const entry of entries) {
    const part = upload.parts.get(entry.partNumber);
    if (!part || unquote(part.etag) !== unquote(entry.etag)) {
      return failure(operation, invalidPart(upload.uploadId, entry.partNumber, entry.etag));
    }
    for (const algorithm of entry.checksums.keys()) {
      if (algorithm !== upload.checksumAlgorithm) {
        return failure(
          operation,
          invalidRequest(
            `The upload was created using a ${upload.checksumAlgorithm ?? "null"} checksum. The complete request must use the same checksum.`,
          ),
        );
      }
    }
    const algorithm = upload.checksumAlgorithm;
    if (algorithm) {
      const given = entry.checksums.get(algorithm);
      if (given === undefined && upload.checksumType === "COMPOSITE") {
        return failure(
          operation,
          invalidRequest(
            `The upload was created using a ${algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${entry.partNumber} in the request.`,
          ),
        );
      }
      if (given !== undefined && given !== part.checksum) {
        return failure(operation, invalidPart(upload.uploadId, entry.partNumber, entry.etag));
      }
    }
    parts.push(part);
  }
  for (const part of parts.slice(0, -1)) {
    if (part.data.length < options.minPartBytes) {
      return failure(
        operation,
        entityTooSmall(part.data.length, options.minPartBytes, {
          partNumber: part.partNumber,
          etag: unquote(part.etag),
        }),
      );
    }
  }
  const data = Buffer.concat(parts.map((part) => part.data));
  const etag = `"${md5(Buffer.concat(parts.map((part) => Buffer.from(unquote(part.etag), "hex")))).toString("hex")}-${parts.length}"`;
  const checksums: Array<[string, string]> = [];
  const algorithm = upload.checksumAlgorithm;
  if (algorithm) {
    const value =
      upload.checksumType === "FULL_OBJECT"
        ? fullObjectChecksum(algorithm, parts)
        : compositeChecksum(algorithm, parts);
    // An object checksum sent with the request describes the object, not the XML body.
    const claimed = request.checksums.find(([name]) => checksumAlgorithmOf(name) === algorithm);
    if (claimed && claimed[1].trim() !== value) return failure(operation, badDigest(algorithm));
    checksums.push([checksumHeader(algorithm), value]);
  }
  const name = `${upload.bucket}/${upload.key}`;
  const meta: ObjectMeta = {
    contentType: upload.contentType,
    lastModified: request.nowMs,
    etag,
    generation: request.nowMs * 1000,
    userMetadata: upload.userMetadata,
    checksums,
  };
  if (!store.buckets.has(upload.bucket)) store.buckets.set(upload.bucket, request.nowMs);
  store.objects.set(name, data);
  store.meta.set(name, meta);
  store.uploads.delete(upload.uploadId);
  const result: Record<string, unknown> = {
    "@_xmlns": S3_NAMESPACE,
    Location: objectUrl(request, upload.bucket, upload.key),
    Bucket: upload.bucket,
    Key: upload.key,
    ETag: etag,
  };
  const headers: Array<[string, string]> = [["Content-Type", "application/xml"]];
  if (algorithm && upload.checksumType) {
    const value = (checksums[0] as [string, string])[1];
    result[checksumElement(algorithm)] = value;
    result["ChecksumType"] = upload.checksumType;
    headers.push([checksumHeader(algorithm), value], ["x-amz-checksum-type", upload.checksumType]);
  }
  return {
    operation,
    status: 200,
    headers,
    body: xmlDocument("CompleteMultipartUploadResult", result, options.flavor),
  };
}

function listParts(
  request: OperationRequest,
  upload: MultipartUpload,
  options: OperationOptions,
): OperationResult {
  const maxParts = Math.max(
    0,
    Math.min(1000, Number(request.query.get("max-parts") ?? "1000") || 0),
  );
  const marker = Number(request.query.get("part-number-marker") ?? "0") || 0;
  const all = [...upload.parts.values()]
    .filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const owner = { ID: upload.initiator, DisplayName: upload.initiator };
  const result: Record<string, unknown> = {
    "@_xmlns": S3_NAMESPACE,
    Bucket: upload.bucket,
    Key: upload.key,
    UploadId: upload.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? (page[page.length - 1] as UploadedPart).partNumber : 0,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((part) => {
      const entry: Record<string, unknown> = {
        PartNumber: part.partNumber,
        LastModified: new Date(part.lastModified).toISOString(),
        ETag: part.etag,
        Size: part.data.length,
      };
      if (upload.checksumAlgorithm && part.checksum !== undefined) {
        entry[checksumElement(upload.checksumAlgorithm)] = part.checksum;
      }
      return entry;
    }),
    Initiator: owner,
    Owner: owner,
    StorageClass: "STANDARD",
    ...(upload.checksumAlgorithm
      ? {
          ChecksumAlgorithm: upload.checksumAlgorithm.toUpperCase(),
          ChecksumType: upload.checksumType,
        }
      : {}),
  };
  return {
    operation: "ListParts",
    status: 200,
    headers: [["Content-Type", "application/xml"]],
    body: xmlDocument("ListPartsResult", result, options.flavor),
  };
}

/** Runs a request for which `isMultipartRequest` is true. */
export function runMultipartOperation(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const operation = multipartOperationName(request);
  if (!request.query.has("uploadId")) return createMultipartUpload(request, store, options);
  const upload = findUpload(request, store);
  switch (operation) {
    case "UploadPart":
    case "UploadPartCopy": {
      const partNumber = partNumberOf(request);
      if (typeof partNumber !== "number") return failure(operation, partNumber);
      if (!upload) return failure(operation, noSuchUpload(request.query.get("uploadId") ?? ""));
      return operation === "UploadPart"
        ? uploadPart(request, upload, partNumber)
        : uploadPartCopy(request, store, upload, partNumber, options);
    }
    case "CompleteMultipartUpload":
    case "AbortMultipartUpload":
    case "ListParts":
      break;
    default:
      return failure(operation, methodNotAllowed());
  }
  if (!upload) return failure(operation, noSuchUpload(request.query.get("uploadId") ?? ""));
  if (operation === "CompleteMultipartUpload") {
    return completeMultipartUpload(request, store, upload, options);
  }
  if (operation === "AbortMultipartUpload") {
    store.uploads.delete(upload.uploadId);
    return { operation, status: 204, headers: [] };
  }
  return listParts(request, upload, options);
}
