import { createHash } from "node:crypto";
import { checksumAlgorithmOf, findChecksumMismatch } from "./checksums.js";
import { type AuthOptions, scopeProblem } from "./s3-auth.js";
import {
  type S3ErrorResponse,
  accessDenied,
  authorizationQueryParametersError,
  badDigest,
  entityTooLarge,
  entityTooSmall,
  invalidAccessKeyId,
  invalidArgument,
  invalidPolicyDocument,
  invalidRequest,
  malformedPostRequest,
  maxPostPreDataLengthExceeded,
  policyDenied,
  postSignatureDoesNotMatch,
  xmlDocument,
} from "./s3-errors.js";
import { type FormField, formDataBoundary, parseFormData } from "./s3-form-data.js";
import type { ObjectMeta, ObjectStore, OperationResult } from "./s3-operations.js";
import { SIGV4_ALGORITHM, parseAmzDate, parseCredential, signature, signingKey } from "./sigv4.js";

/**
 * Browser-based uploads: `POST /bucket` with a `multipart/form-data` body whose fields carry a
 * policy signed with SigV4 (what `@aws-sdk/s3-presigned-post`'s `createPresignedPost` makes).
 * Checked as S3 does:
 * - the signature: hex HMAC-SHA256 of the base64 policy with the SigV4 signing key of the
 *   `x-amz-credential` scope, whose date must be `x-amz-date`'s;
 * - the policy's `expiration`, on the server's clock: `AccessDenied` "Invalid according to
 *   Policy: Policy expired.";
 * - every condition: `{ "field": "value" }`, `["eq", "$field", value]`,
 *   `["starts-with", "$field", prefix]` (for `Content-Type` every comma-separated value) and
 *   `["content-length-range", min, max]` (400 `EntityTooSmall` / `EntityTooLarge`);
 * - every form field but `policy`, `x-amz-signature`, `file` and `x-ignore-*` must be named by a
 *   condition: "Invalid according to Policy: Extra input fields: ...".
 * The object is stored with the form's `Content-Type`, `x-amz-meta-*` and checksum fields;
 * `${filename}` in `key` becomes the file's name. The answer is 204 by default, 200 or 201 (with
 * a `PostResponse` document) as `success_action_status` asks.
 */

/** S3 refuses a POST whose fields before the file exceed 20 KB. */
export const POST_MAX_PRE_DATA_BYTES = 20 * 1024;

export interface PostObjectRequest {
  bucket: string;
  body: Buffer;
  /** The request's Content-Type (with the boundary). */
  contentType: string | undefined;
  /** The Host header, for `Location`. */
  host: string;
  nowMs: number;
}

export interface PostObjectOptions extends AuthOptions {
  deniedPrefixes: readonly string[];
}

export interface PostObjectOutcome {
  result: OperationResult;
  /** The object key, once known. */
  key?: string;
  /** The form's `x-amz-date`, as sent. */
  signedAt?: string;
}

/** In `key`, replaced by the uploaded file's name. */
const FILENAME_VARIABLE = "$" + "{filename}";

/** Fields a policy need not name. */
const EXEMPT_FIELDS = new Set(["policy", "x-amz-signature", "file"]);

/** Whether a request is a browser-style POST upload rather than another bucket POST. */
export function isPostObjectRequest(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  rawQuery: string,
  contentType: string | undefined,
): boolean {
  return (
    method === "POST" &&
    bucket !== undefined &&
    (key === undefined || key === "") &&
    rawQuery === "" &&
    formDataBoundary(contentType) !== undefined
  );
}

const fail = (operation: string, error: S3ErrorResponse): OperationResult => ({
  operation,
  status: error.status,
  headers: [],
  error,
});

function missingField(name: string): S3ErrorResponse {
  return invalidArgument(
    `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    { name, value: "" },
  );
}

interface Policy {
  expiration: string;
  conditions: unknown[];
}

function decodePolicy(policy: string): Policy | S3ErrorResponse {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policy, "base64").toString("utf8"));
  } catch {
    return invalidPolicyDocument("Invalid JSON.");
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return invalidPolicyDocument("Invalid JSON.");
  }
  const { expiration, conditions } = document as Record<string, unknown>;
  if (expiration === undefined) return invalidPolicyDocument("Policy missing expiration.");
  if (typeof expiration !== "string" || Number.isNaN(Date.parse(expiration))) {
    return invalidPolicyDocument(`Invalid 'expiration' value: '${String(expiration)}'`);
  }
  if (!Array.isArray(conditions)) return invalidPolicyDocument("Policy missing conditions.");
  return { expiration, conditions };
}

/** S3 quotes a failed condition in its own JSON-like form: `["eq", "$key", "a"]`. */
function conditionText(operator: string, field: string, value: string): string {
  return `[${JSON.stringify(operator)}, ${JSON.stringify(`$${field}`)}, ${JSON.stringify(value)}]`;
}

interface ConditionContext {
  /** Lower-case field name -> value; `bucket` is the bucket the request is addressed to. */
  values: Map<string, string>;
  fileSize: number;
  /** Lower-case field names the conditions name. */
  covered: Set<string>;
}

function checkCondition(
  condition: unknown,
  context: ConditionContext,
): S3ErrorResponse | undefined {
  const fieldValue = (field: string) => context.values.get(field.toLowerCase()) ?? "";
  if (typeof condition === "object" && condition !== null && !Array.isArray(condition)) {
    for (const [field, expected] of Object.entries(condition)) {
      if (typeof expected !== "string") {
        return invalidPolicyDocument(`Invalid Condition: ${JSON.stringify(condition)}`);
      }
      context.covered.add(field.toLowerCase());
      if (fieldValue(field) !== expected) {
        return policyDenied(`Policy Condition failed: ${conditionText("eq", field, expected)}`);
      }
    }
    return undefined;
  }
  if (!Array.isArray(condition) || typeof condition[0] !== "string") {
    return invalidPolicyDocument(`Invalid Condition: ${JSON.stringify(condition)}`);
  }
  const operator = condition[0].toLowerCase();
  if (operator === "content-length-range") {
    const [, min, max] = condition as [string, unknown, unknown];
    const low = Number(min);
    const high = Number(max);
    if (condition.length !== 3 || !Number.isInteger(low) || !Number.isInteger(high)) {
      return invalidPolicyDocument(`Invalid content-length-range: ${JSON.stringify(condition)}`);
    }
    if (context.fileSize > high) return entityTooLarge(context.fileSize, high);
    if (context.fileSize < low) return entityTooSmall(context.fileSize, low);
    return undefined;
  }
  if (operator !== "eq" && operator !== "starts-with") {
    return invalidPolicyDocument(`Invalid Condition: unknown operator '${condition[0]}'`);
  }
  const [, reference, expected] = condition as [string, unknown, unknown];
  if (
    condition.length !== 3 ||
    typeof reference !== "string" ||
    !reference.startsWith("$") ||
    typeof expected !== "string"
  ) {
    return invalidPolicyDocument(`Invalid Condition: ${JSON.stringify(condition)}`);
  }
  const field = reference.slice(1);
  context.covered.add(field.toLowerCase());
  const actual = fieldValue(field);
  const ok =
    operator === "eq"
      ? actual === expected
      : field.toLowerCase() === "content-type"
        ? actual.split(",").every((part) => part.trim().startsWith(expected))
        : actual.startsWith(expected);
  return ok
    ? undefined
    : policyDenied(`Policy Condition failed: ${conditionText(operator, field, expected)}`);
}

function objectUrl(host: string, bucket: string, key: string): string {
  const path = key
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
  return `http://${host}/${encodeURIComponent(bucket)}/${path}`;
}

export function postObject(
  request: PostObjectRequest,
  store: ObjectStore,
  options: PostObjectOptions,
): PostObjectOutcome {
  const operation = "PostObject";
  const boundary = formDataBoundary(request.contentType) as string;
  const form = parseFormData(request.body, boundary, POST_MAX_PRE_DATA_BYTES);
  if (!form.ok) {
    return {
      result: fail(
        operation,
        form.reason === "malformed" ? malformedPostRequest() : maxPostPreDataLengthExceeded(),
      ),
    };
  }
  // Field names are case-insensitive; the first occurrence counts.
  const values = new Map<string, string>();
  for (const { name, value } of form.fields) {
    if (!values.has(name.toLowerCase())) values.set(name.toLowerCase(), value);
  }
  const get = (name: string) => values.get(name);
  const signedAt = get("x-amz-date");
  const outcome = (result: OperationResult, key?: string): PostObjectOutcome => ({
    result,
    ...(key === undefined ? {} : { key }),
    ...(signedAt === undefined ? {} : { signedAt }),
  });
  const file = form.file;
  if (!file) {
    return outcome(
      fail(
        operation,
        invalidArgument("POST requires exactly one file upload per request.", {
          name: "file",
          value: "0",
        }),
      ),
    );
  }
  const rawKey = get("key");
  if (rawKey === undefined || rawKey === "") return outcome(fail(operation, missingField("key")));
  const key = rawKey.replaceAll(FILENAME_VARIABLE, file.filename ?? "");

  // Authentication: the signed policy.
  const policy = get("policy");
  const provided = get("x-amz-signature");
  if (policy === undefined && provided === undefined) {
    if (get("awsaccesskeyid") !== undefined || get("signature") !== undefined) {
      return outcome(
        fail(
          "Authenticate",
          invalidRequest(
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
          ),
        ),
        key,
      );
    }
    return outcome(
      fail(
        "Authenticate",
        accessDenied(options.flavor, "anonymous caller", "storage.objects.create"),
      ),
      key,
    );
  }
  for (const name of [
    "policy",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-signature",
  ]) {
    if (get(name) === undefined) return outcome(fail("Authenticate", missingField(name)), key);
  }
  if (get("x-amz-algorithm") !== SIGV4_ALGORITHM) {
    return outcome(
      fail(
        "Authenticate",
        invalidArgument('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', {
          name: "x-amz-algorithm",
          value: get("x-amz-algorithm") ?? "",
        }),
      ),
      key,
    );
  }
  const credential = parseCredential(get("x-amz-credential") ?? "");
  if (!credential) {
    return outcome(
      fail(
        "Authenticate",
        authorizationQueryParametersError(
          'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        ),
      ),
      key,
    );
  }
  const secret = options.credentials[credential.accessKeyId];
  if (secret === undefined) {
    return outcome(
      fail("Authenticate", invalidAccessKeyId(options.flavor, credential.accessKeyId)),
      key,
    );
  }
  const amzDate = get("x-amz-date") ?? "";
  if (parseAmzDate(amzDate) === undefined) {
    return outcome(
      fail(
        "Authenticate",
        invalidArgument("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", {
          name: "x-amz-date",
          value: amzDate,
        }),
      ),
      key,
    );
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    return outcome(
      fail(
        "Authenticate",
        authorizationQueryParametersError(
          "Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.",
        ),
      ),
      key,
    );
  }
  const problem = scopeProblem(credential, options);
  if (problem) {
    return outcome(
      fail(
        "Authenticate",
        authorizationQueryParametersError(
          `Error parsing the X-Amz-Credential parameter; ${problem}`,
          options.region,
        ),
      ),
      key,
    );
  }
  const expected = signature(signingKey(secret, credential), policy as string);
  if (expected !== provided) {
    return outcome(
      fail(
        "Authenticate",
        postSignatureDoesNotMatch(credential.accessKeyId, policy as string, provided ?? ""),
      ),
      key,
    );
  }

  // The policy: expiration on the server's clock, then each condition, then the fields left over.
  const decoded = decodePolicy(policy as string);
  if ("status" in decoded) return outcome(fail(operation, decoded), key);
  if (Date.parse(decoded.expiration) <= request.nowMs) {
    return outcome(fail(operation, policyDenied("Policy expired.")), key);
  }
  const context: ConditionContext = {
    values: new Map([...values, ["key", key], ["bucket", request.bucket]]),
    fileSize: file.data.length,
    covered: new Set(),
  };
  for (const condition of decoded.conditions) {
    const error = checkCondition(condition, context);
    if (error) return outcome(fail(operation, error), key);
  }
  const extra = [...values.keys()].filter(
    (name) =>
      !EXEMPT_FIELDS.has(name) && !name.startsWith("x-ignore-") && !context.covered.has(name),
  );
  if (extra.length > 0) {
    return outcome(fail(operation, policyDenied(`Extra input fields: ${extra.join(", ")}`)), key);
  }

  if (options.deniedPrefixes.some((prefix) => key.startsWith(prefix))) {
    return outcome(
      fail(
        operation,
        accessDenied(options.flavor, credential.accessKeyId, "storage.objects.create"),
      ),
      key,
    );
  }
  const checksums = form.fields
    .filter(({ name }) => checksumAlgorithmOf(name))
    .map(({ name, value }): [string, string] => [name.toLowerCase(), value]);
  const mismatch = findChecksumMismatch(checksums, file.data);
  if (mismatch) return outcome(fail(operation, badDigest(mismatch.algorithm)), key);

  const etag = `"${createHash("md5").update(file.data).digest("hex")}"`;
  const meta: ObjectMeta = {
    contentType: get("content-type") ?? "binary/octet-stream",
    lastModified: request.nowMs,
    etag,
    generation: request.nowMs * 1000,
    userMetadata: form.fields
      .filter(({ name }) => name.toLowerCase().startsWith("x-amz-meta-"))
      .map(({ name, value }: FormField): [string, string] => [name.toLowerCase(), value]),
    checksums,
  };
  const name = `${request.bucket}/${key}`;
  if (!store.buckets.has(request.bucket)) store.buckets.set(request.bucket, request.nowMs);
  store.objects.set(name, Buffer.from(file.data));
  store.meta.set(name, meta);

  const location = objectUrl(request.host, request.bucket, key);
  const headers: Array<[string, string]> = [["ETag", etag], ["Location", location], ...checksums];
  const status = get("success_action_status");
  if (status === "201") {
    headers.push(["Content-Type", "application/xml"]);
    return outcome(
      {
        operation,
        status: 201,
        headers,
        body: xmlDocument(
          "PostResponse",
          { Location: location, Bucket: request.bucket, Key: key, ETag: etag },
          options.flavor,
        ),
      },
      key,
    );
  }
  if (status === "200") return outcome({ operation, status: 200, headers, body: "" }, key);
  return outcome({ operation, status: 204, headers }, key);
}
