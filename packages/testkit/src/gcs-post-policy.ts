import { type KeyObject, verify } from "node:crypto";
import { formDataBoundary, parseFormData } from "./s3-form-data.js";
import type { GcsXmlError } from "./gcs-v4-verifier.js";

/**
 * Browser form uploads to GCS's XML API: `POST /<bucket>` with a `multipart/form-data` body
 * carrying a V4 policy (what `file.generateSignedPostPolicyV4` makes). Checked as documented
 * for GCS:
 * - `x-goog-algorithm` is `GOOG4-RSA-SHA256`, and `x-goog-credential`'s scope
 *   (`email/date/auto/storage/goog4_request`) is dated `x-goog-date`'s day;
 * - `x-goog-signature` is the hex RSA-SHA256 signature of the `policy` field (the base64 text
 *   as sent) with the service account's key;
 * - the policy's `expiration` is on the server's clock: past it, the form is refused. It is
 *   the only time GCS documents checking (`x-goog-date` is not a start time), so a policy
 *   signed by a clock that is ahead works, for longer than asked;
 * - every condition holds: `{ "field": "value" }`, `["eq", "$field", value]`,
 *   `["starts-with", "$field", prefix]`, `["content-length-range", min, max]`; `bucket` is the
 *   bucket the form posts to;
 * - every form field but `policy`, `x-goog-signature`, `file` and `x-ignore-*` is named by a
 *   condition.
 * GCS does not document its wording for these refusals; the fake answers `InvalidPolicyDocument`
 * (400) for the policy's own failures, `SignatureDoesNotMatch` (403) for the signature,
 * `EntityTooLarge`/`EntityTooSmall` (400) for the size.
 */

/** GCS, like S3, limits the fields before the file. */
const MAX_PRE_DATA_BYTES = 20 * 1024;

/** Fields a policy need not name. */
const EXEMPT_FIELDS: ReadonlySet<string> = new Set(["policy", "x-goog-signature", "file"]);

const REQUIRED_FIELDS = [
  "key",
  "policy",
  "x-goog-algorithm",
  "x-goog-credential",
  "x-goog-date",
  "x-goog-signature",
] as const;

const POLICY_MISMATCH =
  "The content of the form does not meet the conditions specified in the policy document.";

export interface PostPolicyRequest {
  bucket: string;
  body: Buffer;
  /** The request's Content-Type (with the boundary). */
  contentType: string | undefined;
  /** The server's time, ms since the epoch. */
  nowMs: number;
  publicKeys: ReadonlyMap<string, KeyObject>;
}

export type PostPolicyVerdict =
  | {
      ok: true;
      key: string;
      data: Buffer;
      contentType: string;
      /** `success_action_status` when it asks for 200 or 201; otherwise 204. */
      status: 200 | 201 | 204;
    }
  | { ok: false; error: GcsXmlError };

/** Whether a request is a form upload: a `multipart/form-data` POST to a bucket. */
export function isPostPolicyRequest(
  method: string,
  object: string | undefined,
  contentType: string | undefined,
): boolean {
  return method === "POST" && object === undefined && formDataBoundary(contentType) !== undefined;
}

export function verifyPostPolicy(request: PostPolicyRequest): PostPolicyVerdict {
  const form = parseFormData(
    request.body,
    formDataBoundary(request.contentType) ?? "",
    MAX_PRE_DATA_BYTES,
  );
  if (!form.ok) return fail(400, "InvalidArgument", `Malformed form: ${form.message}.`);
  if (!form.file) return fail(400, "InvalidArgument", "The form has no file field.");
  // Field names are case-insensitive; the first occurrence counts.
  const values = new Map<string, string>();
  for (const { name, value } of form.fields) {
    if (!values.has(name.toLowerCase())) values.set(name.toLowerCase(), value);
  }
  for (const name of REQUIRED_FIELDS) {
    if (!values.has(name)) return fail(400, "InvalidArgument", `Missing form field: ${name}.`);
  }
  const get = (name: (typeof REQUIRED_FIELDS)[number]) => values.get(name) ?? "";
  const signed = checkSignature(get, request.publicKeys);
  if (signed) return { ok: false, error: signed };

  const policy = decodePolicy(get("policy"));
  if ("error" in policy) return { ok: false, error: policy.error };
  if (request.nowMs > policy.expirationMs) {
    return fail(400, "InvalidPolicyDocument", POLICY_MISMATCH, "Policy expired.");
  }
  if ((values.get("bucket") ?? request.bucket) !== request.bucket) {
    return fail(400, "InvalidArgument", "The bucket field does not match the bucket posted to.");
  }
  const context: Conditions = {
    values: new Map([...values, ["bucket", request.bucket]]),
    fileSize: form.file.data.length,
    covered: new Set(),
  };
  for (const condition of policy.conditions) {
    const error = checkCondition(condition, context);
    if (error) return { ok: false, error };
  }
  const extra = [...values.keys()].filter(
    (name) =>
      !EXEMPT_FIELDS.has(name) && !name.startsWith("x-ignore-") && !context.covered.has(name),
  );
  if (extra.length > 0) {
    return fail(
      400,
      "InvalidPolicyDocument",
      POLICY_MISMATCH,
      `Policy did not reference these fields: ${extra.join(", ")}`,
    );
  }
  const requested = values.get("success_action_status");
  return {
    ok: true,
    key: get("key"),
    data: form.file.data,
    contentType: values.get("content-type") ?? "application/octet-stream",
    status: requested === "200" ? 200 : requested === "201" ? 201 : 204,
  };
}

/** Algorithm, credential scope and the RSA signature over the policy as sent. */
function checkSignature(
  get: (name: (typeof REQUIRED_FIELDS)[number]) => string,
  publicKeys: ReadonlyMap<string, KeyObject>,
): GcsXmlError | undefined {
  if (get("x-goog-algorithm") !== "GOOG4-RSA-SHA256") {
    return error(400, "InvalidArgument", `Unsupported algorithm: ${get("x-goog-algorithm")}`);
  }
  const [email, day, location, service, terminator, ...rest] = get("x-goog-credential").split("/");
  if (
    !email ||
    rest.length > 0 ||
    day !== get("x-goog-date").slice(0, 8) ||
    !/^\d{8}T\d{6}Z$/.test(get("x-goog-date")) ||
    location === undefined ||
    service !== "storage" ||
    terminator !== "goog4_request"
  ) {
    return error(400, "InvalidArgument", "Invalid x-goog-credential or x-goog-date.");
  }
  const key = publicKeys.get(email);
  const signature = Buffer.from(get("x-goog-signature"), "hex");
  if (!key || !verify("sha256", Buffer.from(get("policy")), key, signature)) {
    return {
      ...error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.",
      ),
      stringToSign: get("policy"),
    };
  }
  return undefined;
}

interface Policy {
  expirationMs: number;
  conditions: unknown[];
}

function decodePolicy(encoded: string): Policy | { error: GcsXmlError } {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    return { error: error(400, "InvalidPolicyDocument", POLICY_MISMATCH, "Invalid JSON.") };
  }
  const { expiration, conditions } = (document ?? {}) as Record<string, unknown>;
  const expirationMs = typeof expiration === "string" ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expirationMs) || !Array.isArray(conditions)) {
    return {
      error: error(
        400,
        "InvalidPolicyDocument",
        POLICY_MISMATCH,
        "Missing expiration or conditions.",
      ),
    };
  }
  return { expirationMs, conditions };
}

interface Conditions {
  /** Lower-case field name -> value; `bucket` is the bucket posted to. */
  values: Map<string, string>;
  fileSize: number;
  /** Lower-case field names the conditions name. */
  covered: Set<string>;
}

function checkCondition(condition: unknown, context: Conditions): GcsXmlError | undefined {
  const fieldValue = (field: string) => context.values.get(field.toLowerCase()) ?? "";
  const failed = () =>
    error(
      400,
      "InvalidPolicyDocument",
      POLICY_MISMATCH,
      `Failed condition: ${JSON.stringify(condition)}`,
    );
  if (typeof condition === "object" && condition !== null && !Array.isArray(condition)) {
    for (const [field, expected] of Object.entries(condition)) {
      context.covered.add(field.toLowerCase());
      if (fieldValue(field) !== expected) return failed();
    }
    return undefined;
  }
  if (!Array.isArray(condition) || typeof condition[0] !== "string" || condition.length !== 3) {
    return failed();
  }
  const [operator, first, second] = condition as [string, unknown, unknown];
  if (operator.toLowerCase() === "content-length-range") {
    const [low, high] = [Number(first), Number(second)];
    if (!Number.isInteger(low) || !Number.isInteger(high)) return failed();
    if (context.fileSize > high)
      return error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.");
    if (context.fileSize < low)
      return error(
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size.",
      );
    return undefined;
  }
  if (typeof first !== "string" || !first.startsWith("$") || typeof second !== "string") {
    return failed();
  }
  const field = first.slice(1);
  context.covered.add(field.toLowerCase());
  const actual = fieldValue(field);
  const kind = operator.toLowerCase();
  if (kind === "eq") return actual === second ? undefined : failed();
  if (kind === "starts-with") return actual.startsWith(second) ? undefined : failed();
  return failed();
}

function error(status: number, code: string, message: string, details?: string): GcsXmlError {
  return { status, code, message, ...(details === undefined ? {} : { details }) };
}

function fail(status: number, code: string, message: string, details?: string): PostPolicyVerdict {
  return { ok: false, error: error(status, code, message, details) };
}
