import { createHash } from "node:crypto";
import { checksumBase64 } from "./checksums.js";
import {
  type S3ErrorResponse,
  type ServerFlavor,
  accessDenied,
  bucketNotEmpty,
  methodNotAllowed,
  noSuchBucket,
  noSuchKey,
  notImplemented,
  xmlDocument,
} from "./s3-errors.js";
import {
  type MultipartUpload,
  isMultipartRequest,
  multipartOperationName,
  runMultipartOperation,
} from "./s3-multipart.js";
import { httpDate } from "./server-clock.js";
import type { RawHeader } from "./sigv4.js";

/**
 * The S3 operations the test server implements, path-style only (`/bucket/key`, what clients
 * configured with `forcePathStyle: true` send): ListBuckets, CreateBucket, HeadBucket,
 * DeleteBucket, ListObjectsV2, PutObject, GetObject (with a simple `Range`), HeadObject,
 * DeleteObject, and the multipart uploads of `s3-multipart.ts`. Anything else answers 501
 * NotImplemented.
 */

export interface ObjectMeta {
  contentType: string;
  lastModified: number;
  etag: string;
  generation: number;
  userMetadata: Array<[string, string]>;
  checksums: Array<[string, string]>;
}

/** `objects` is public (tests read and seed it); metadata is kept beside it when known. */
export interface ObjectStore {
  objects: Map<string, Buffer>;
  meta: Map<string, ObjectMeta>;
  buckets: Map<string, number>;
  /** Multipart uploads in progress, by upload id. */
  uploads: Map<string, MultipartUpload>;
  startedAt: number;
}

export function createObjectStore(nowMs: number): ObjectStore {
  return {
    objects: new Map(),
    meta: new Map(),
    buckets: new Map(),
    uploads: new Map(),
    startedAt: nowMs,
  };
}

export interface OperationRequest {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  /** Decoded query parameters. */
  query: ReadonlyMap<string, string>;
  headers: readonly RawHeader[];
  body: Buffer;
  /** Checksums the client sent (headers or trailer), echoed back as S3 does. */
  checksums: Array<[string, string]>;
  accessKeyId: string;
  nowMs: number;
}

export interface OperationOptions {
  flavor: ServerFlavor;
  deniedPrefixes: readonly string[];
  strictBuckets: boolean;
  /** Every multipart part but the last must be at least this large at completion. */
  minPartBytes: number;
}

export interface OperationResult {
  operation: string;
  status: number;
  headers: Array<[string, string]>;
  body?: Buffer | string;
  error?: S3ErrorResponse;
}

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
let generationCounter = 0;

const failure = (operation: string, error: S3ErrorResponse): OperationResult => ({
  operation,
  status: error.status,
  headers: [],
  error,
});

function header(headers: readonly RawHeader[], name: string): string | undefined {
  return headers.find(([candidate]) => candidate.toLowerCase() === name)?.[1];
}

function bucketExists(store: ObjectStore, bucket: string): boolean {
  if (store.buckets.has(bucket)) return true;
  const prefix = `${bucket}/`;
  for (const name of store.objects.keys()) if (name.startsWith(prefix)) return true;
  return false;
}

function metaFor(store: ObjectStore, name: string, data: Buffer): ObjectMeta {
  return (
    store.meta.get(name) ?? {
      contentType: "binary/octet-stream",
      lastModified: store.startedAt,
      etag: `"${createHash("md5").update(data).digest("hex")}"`,
      generation: store.startedAt * 1000,
      userMetadata: [],
      checksums: [],
    }
  );
}

function objectHeaders(
  flavor: ServerFlavor,
  meta: ObjectMeta,
  data: Buffer,
): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ["Content-Type", meta.contentType],
    ["ETag", meta.etag],
    ["Last-Modified", httpDate(meta.lastModified)],
    ["Accept-Ranges", "bytes"],
    ...meta.userMetadata,
  ];
  if (flavor === "gcs") {
    headers.push(
      ["x-goog-generation", String(meta.generation)],
      ["x-goog-metageneration", "1"],
      ["x-goog-stored-content-length", String(data.length)],
      ["x-goog-stored-content-encoding", "identity"],
      [
        "x-goog-hash",
        `crc32c=${checksumBase64("crc32c", data)},md5=${createHash("md5").update(data).digest("base64")}`,
      ],
      ["x-goog-storage-class", "STANDARD"],
    );
  }
  return headers;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined when absent or not satisfiable. */
export function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | "invalid" | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [, from = "", to = ""] = match;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "invalid";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return "invalid";
  return { start, end };
}

function permission(method: string): string {
  if (method === "PUT" || method === "POST") return "storage.objects.create";
  if (method === "DELETE") return "storage.objects.delete";
  return "storage.objects.get";
}

function putObject(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const bucket = request.bucket as string;
  const name = `${bucket}/${request.key}`;
  const meta: ObjectMeta = {
    contentType: header(request.headers, "content-type") ?? "binary/octet-stream",
    lastModified: request.nowMs,
    etag: `"${createHash("md5").update(request.body).digest("hex")}"`,
    generation: request.nowMs * 1000 + (generationCounter++ % 1000),
    userMetadata: request.headers
      .filter(([candidate]) => candidate.toLowerCase().startsWith("x-amz-meta-"))
      .map(([name, value]): [string, string] => [name, value]),
    checksums: request.checksums,
  };
  if (!store.buckets.has(bucket)) store.buckets.set(bucket, request.nowMs);
  store.objects.set(name, request.body);
  store.meta.set(name, meta);
  const headers: Array<[string, string]> = [["ETag", meta.etag], ...request.checksums];
  if (options.flavor === "gcs") {
    headers.push(
      ["x-goog-generation", String(meta.generation)],
      ["x-goog-metageneration", "1"],
      [
        "x-goog-hash",
        `crc32c=${checksumBase64("crc32c", request.body)},md5=${createHash("md5").update(request.body).digest("base64")}`,
      ],
      ["x-goog-stored-content-length", String(request.body.length)],
      ["x-goog-stored-content-encoding", "identity"],
    );
  }
  return { operation: "PutObject", status: 200, headers, body: "" };
}

function getObject(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const operation = request.method === "HEAD" ? "HeadObject" : "GetObject";
  const bucket = request.bucket as string;
  const key = request.key as string;
  const data = store.objects.get(`${bucket}/${key}`);
  if (!data) return failure(operation, noSuchKey(options.flavor, bucket, key));
  const meta = metaFor(store, `${bucket}/${key}`, data);
  const headers = objectHeaders(options.flavor, meta, data);
  const range = parseRange(header(request.headers, "range"), data.length);
  if (range === "invalid") {
    return failure(operation, {
      status: 416,
      code: "InvalidRange",
      message: "The requested range is not satisfiable",
      fields: [["ActualObjectSize", String(data.length)]],
    });
  }
  if (range) {
    const slice = data.subarray(range.start, range.end + 1);
    headers.push(
      ["Content-Range", `bytes ${range.start}-${range.end}/${data.length}`],
      ["Content-Length", String(slice.length)],
    );
    return { operation, status: 206, headers, body: slice };
  }
  headers.push(["Content-Length", String(data.length)]);
  return { operation, status: 200, headers, body: data };
}

function deleteObject(request: OperationRequest, store: ObjectStore): OperationResult {
  const name = `${request.bucket}/${request.key}`;
  store.objects.delete(name);
  store.meta.delete(name);
  // S3 answers 204 whether or not the key existed.
  return { operation: "DeleteObject", status: 204, headers: [] };
}

interface ListPage {
  contents: string[];
  commonPrefixes: string[];
  truncated: boolean;
  lastKey: string | undefined;
}

function listPage(
  keys: readonly string[],
  prefix: string,
  delimiter: string,
  after: string,
  maxKeys: number,
): ListPage {
  const page: ListPage = { contents: [], commonPrefixes: [], truncated: false, lastKey: undefined };
  const candidates = keys.filter((key) => key.startsWith(prefix) && key > after);
  for (let i = 0; i < candidates.length; i++) {
    if (page.contents.length + page.commonPrefixes.length >= maxKeys) {
      page.truncated = true;
      break;
    }
    const key = candidates[i] as string;
    const cut = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
    if (cut < 0) {
      page.contents.push(key);
      page.lastKey = key;
      continue;
    }
    const common = key.slice(0, cut + delimiter.length);
    page.commonPrefixes.push(common);
    // Keys sharing a prefix are contiguous once sorted: consume them all.
    while (i + 1 < candidates.length && (candidates[i + 1] as string).startsWith(common)) i++;
    page.lastKey = candidates[i];
  }
  return page;
}

function listObjectsV2(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const bucket = request.bucket as string;
  const query = request.query;
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") ?? "";
  const maxKeys = Math.min(1000, Number(query.get("max-keys") ?? "1000") || 0);
  const token = query.get("continuation-token");
  const startAfter = query.get("start-after") ?? "";
  const after = token ? Buffer.from(token, "base64url").toString("utf8") : startAfter;
  const bucketPrefix = `${bucket}/`;
  const keys = [...store.objects.keys()]
    .filter((name) => name.startsWith(bucketPrefix))
    .map((name) => name.slice(bucketPrefix.length))
    .sort();
  const page = listPage(keys, prefix, delimiter, after, maxKeys);
  const contents = page.contents.map((key) => {
    const data = store.objects.get(`${bucketPrefix}${key}`) as Buffer;
    const meta = metaFor(store, `${bucketPrefix}${key}`, data);
    return {
      Key: key,
      LastModified: new Date(meta.lastModified).toISOString(),
      ETag: meta.etag,
      Size: data.length,
      StorageClass: "STANDARD",
    };
  });
  const result: Record<string, unknown> = {
    "@_xmlns": S3_NAMESPACE,
    Name: bucket,
    Prefix: prefix,
    ...(delimiter ? { Delimiter: delimiter } : {}),
    MaxKeys: maxKeys,
    KeyCount: contents.length + page.commonPrefixes.length,
    IsTruncated: page.truncated,
    ...(token ? { ContinuationToken: token } : {}),
    ...(page.truncated && page.lastKey !== undefined
      ? { NextContinuationToken: Buffer.from(page.lastKey, "utf8").toString("base64url") }
      : {}),
    ...(startAfter ? { StartAfter: startAfter } : {}),
    Contents: contents,
    CommonPrefixes: page.commonPrefixes.map((common) => ({ Prefix: common })),
  };
  return {
    operation: "ListObjectsV2",
    status: 200,
    headers: [["Content-Type", "application/xml"]],
    body: xmlDocument("ListBucketResult", result, options.flavor),
  };
}

function listBuckets(
  store: ObjectStore,
  options: OperationOptions,
  accessKeyId: string,
): OperationResult {
  const names = new Map(store.buckets);
  for (const name of store.objects.keys()) {
    const bucket = name.slice(0, name.indexOf("/"));
    if (!names.has(bucket)) names.set(bucket, store.startedAt);
  }
  const buckets = [...names.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([Name, created]) => ({ Name, CreationDate: new Date(created).toISOString() }));
  const body = xmlDocument(
    "ListAllMyBucketsResult",
    {
      "@_xmlns": S3_NAMESPACE,
      Owner: { ID: accessKeyId, DisplayName: accessKeyId },
      Buckets: { Bucket: buckets },
    },
    options.flavor,
  );
  return {
    operation: "ListBuckets",
    status: 200,
    headers: [["Content-Type", "application/xml"]],
    body,
  };
}

function bucketOperation(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const bucket = request.bucket as string;
  const exists = bucketExists(store, bucket);
  switch (request.method) {
    case "PUT":
      if (!store.buckets.has(bucket)) store.buckets.set(bucket, request.nowMs);
      return {
        operation: "CreateBucket",
        status: 200,
        headers: [["Location", `/${bucket}`]],
        body: "",
      };
    case "HEAD":
      if (!exists && options.strictBuckets)
        return failure("HeadBucket", noSuchBucket(options.flavor, bucket));
      return {
        operation: "HeadBucket",
        status: 200,
        headers: [["x-amz-bucket-region", "us-east-1"]],
      };
    case "DELETE": {
      if (!exists) return failure("DeleteBucket", noSuchBucket(options.flavor, bucket));
      const prefix = `${bucket}/`;
      if ([...store.objects.keys()].some((name) => name.startsWith(prefix))) {
        return failure("DeleteBucket", bucketNotEmpty(bucket));
      }
      store.buckets.delete(bucket);
      return { operation: "DeleteBucket", status: 204, headers: [] };
    }
    case "GET":
      if (request.query.get("list-type") !== "2") return failure("ListObjects", notImplemented());
      if (!exists && options.strictBuckets)
        return failure("ListObjectsV2", noSuchBucket(options.flavor, bucket));
      return listObjectsV2(request, store, options);
    default:
      return failure("Bucket", methodNotAllowed());
  }
}

function objectOperation(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  const bucket = request.bucket as string;
  const key = request.key as string;
  const multipart = isMultipartRequest(request);
  const operation = multipart
    ? multipartOperationName(request)
    : ({ PUT: "PutObject", GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject" }[
        request.method
      ] ?? "Object");
  if (options.deniedPrefixes.some((prefix) => key.startsWith(prefix))) {
    return failure(
      operation,
      accessDenied(options.flavor, request.accessKeyId, permission(request.method)),
    );
  }
  // Other subresources (tagging, ACLs...) and CopyObject are out of scope.
  const subresources = [...request.query.keys()].filter(
    (name) => name !== "x-id" && !/^(x-amz-|response-)/i.test(name),
  );
  if (
    !multipart &&
    (subresources.length > 0 || header(request.headers, "x-amz-copy-source") !== undefined)
  ) {
    return failure(operation, notImplemented());
  }
  if (options.strictBuckets && !bucketExists(store, bucket)) {
    return failure(operation, noSuchBucket(options.flavor, bucket));
  }
  if (multipart) return runMultipartOperation(request, store, options);
  switch (request.method) {
    case "PUT":
      return putObject(request, store, options);
    case "GET":
    case "HEAD":
      return getObject(request, store, options);
    case "DELETE":
      return deleteObject(request, store);
    default:
      return failure(operation, methodNotAllowed());
  }
}

/**
 * The operation a request asks for, named as the log names it once it runs: known before it
 * is authenticated.
 */
export function requestedOperation(request: {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: ReadonlyMap<string, string>;
  headers: readonly RawHeader[];
}): string {
  const { method } = request;
  if (request.bucket === undefined) return method === "GET" ? "ListBuckets" : "Service";
  if (request.key === undefined || request.key === "") {
    const names: Record<string, string> = {
      PUT: "CreateBucket",
      HEAD: "HeadBucket",
      DELETE: "DeleteBucket",
      GET: "ListObjectsV2",
      POST: "PostObject",
    };
    return names[method] ?? "Bucket";
  }
  if (isMultipartRequest(request)) return multipartOperationName(request);
  const names: Record<string, string> = {
    PUT: "PutObject",
    GET: "GetObject",
    HEAD: "HeadObject",
    DELETE: "DeleteObject",
  };
  return names[method] ?? "Object";
}

export function runOperation(
  request: OperationRequest,
  store: ObjectStore,
  options: OperationOptions,
): OperationResult {
  if (request.bucket === undefined) {
    if (request.method === "GET") return listBuckets(store, options, request.accessKeyId);
    return failure("Service", methodNotAllowed());
  }
  if (request.key === undefined || request.key === "")
    return bucketOperation(request, store, options);
  return objectOperation(request, store, options);
}
