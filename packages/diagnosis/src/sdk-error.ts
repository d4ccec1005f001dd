import { toHeaderMap } from "./headers.js";
import type { HeaderMap } from "./types.js";

/**
 * What an SDK error object says about the response behind it, in the observation's own terms:
 * status, headers, and the error body in whatever form the SDK kept it (text as received, an
 * already-parsed document, or the fields the AWS SDK copied onto the error). Read by shape, so
 * a printed-and-reparsed error (`doctor error`) and a live one are read the same way, and
 * nothing is serialised to be parsed again.
 */
export interface SdkErrorParts {
  status?: number;
  headers: HeaderMap;
  body?: string;
  document?: Readonly<Record<string, unknown>>;
  fields?: Readonly<Record<string, string>>;
}

/**
 * The parts of an AWS SDK v3 (and v2) error, an Azure `RestError`, a gaxios error
 * (google-auth-library) or a `@google-cloud/storage` `ApiError`; undefined for anything else.
 * Never throws.
 */
export function readSdkError(error: unknown): SdkErrorParts | undefined {
  if (!isRecord(error)) return undefined;
  try {
    return awsError(error) ?? azureError(error) ?? gaxiosError(error) ?? apiError(error);
  } catch {
    // A getter on a foreign error object may throw: no evidence rather than a crash.
    return undefined;
  }
}

/** AWS SDK v3: `$metadata`, `$response`, and the body's elements as own properties. */
function awsError(error: Record<string, unknown>): SdkErrorParts | undefined {
  const metadata = recordOf(error["$metadata"]);
  const response = recordOf(error["$response"]);
  if (!metadata && !response && !("$fault" in error)) return awsV2Error(error);
  const status = statusOf(response?.["statusCode"]) ?? statusOf(metadata?.["httpStatusCode"]);
  const headers = { ...toHeaderMap(response?.["headers"]) };
  const requestId = stringOf(metadata?.["requestId"]);
  if (requestId && headers["x-amz-request-id"] === undefined) {
    headers["x-amz-request-id"] = requestId;
  }
  return {
    ...(status === undefined ? {} : { status }),
    headers,
    fields: awsFields(error),
  };
}

/** AWS SDK v2 (`code`, `statusCode`, `requestId`, `time` on the error itself). */
function awsV2Error(error: Record<string, unknown>): SdkErrorParts | undefined {
  if (typeof error["retryable"] !== "boolean" || typeof error["code"] !== "string") {
    return undefined;
  }
  const status = statusOf(error["statusCode"]);
  const fields: Record<string, string> = { Code: error["code"] as string };
  const message = stringOf(error["message"]);
  if (message) fields["message"] = message;
  const headers: Record<string, string> = {};
  const requestId = stringOf(error["requestId"]);
  if (requestId) headers["x-amz-request-id"] = requestId;
  return { ...(status === undefined ? {} : { status }), headers, fields };
}

/**
 * The body's elements the SDK copied onto the error (`Code`, `ServerTime`, `StringToSign`...).
 * The error's `name` is taken for the code only when the body gave none and the name is one a
 * server said: for a bodiless answer (a HEAD 403) the SDK invents `Unknown` or the status.
 */
function awsFields(error: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(error)) {
    if (typeof value === "string" && !name.startsWith("$") && name !== "name") {
      fields[name] = value;
    }
  }
  if (fields["Code"] === undefined) {
    const type = stringOf(error["__type"])?.split("#").pop();
    const name = stringOf(error["name"]);
    const code = type ?? (name && !INVENTED_NAMES.test(name) ? name : undefined);
    if (code) fields["Code"] = code;
    else delete fields["message"];
  }
  return fields;
}

/** Names the SDKs give an error whose body named none. */
const INVENTED_NAMES = /^(?:Unknown|UnknownError|Error|\d{3}|Forbidden|NotFound|BadRequest)$/;

/** Azure `RestError`: `statusCode`, `details` (the parsed body) and the pipeline response. */
function azureError(error: Record<string, unknown>): SdkErrorParts | undefined {
  const details = recordOf(error["details"]);
  const response = recordOf(error["response"]);
  const statusCode = statusOf(error["statusCode"]);
  if (statusCode === undefined && !details) return undefined;
  if (response && "data" in response) return undefined; // a gaxios error, not Azure's
  const status = statusCode ?? statusOf(response?.["status"]);
  const headers = toHeaderMap(response?.["headers"]);
  const text = response?.["bodyAsText"];
  const base = { ...(status === undefined ? {} : { status }), headers };
  if (typeof text === "string" && text.trim() !== "") return { ...base, body: text };
  const document: Record<string, unknown> = { ...details };
  if (document["errorCode"] === undefined && typeof error["code"] === "string") {
    document["errorCode"] = error["code"];
  }
  if (document["message"] === undefined && typeof error["message"] === "string") {
    document["message"] = error["message"];
  }
  return { ...base, document };
}

/** gaxios: `response.status`, `response.headers`, `response.data` (parsed JSON or text). */
function gaxiosError(error: Record<string, unknown>): SdkErrorParts | undefined {
  const response = recordOf(error["response"]);
  if (!response || !("data" in response)) return undefined;
  const status = statusOf(response["status"]);
  const headers = toHeaderMap(response["headers"]);
  const data = response["data"];
  const base = { ...(status === undefined ? {} : { status }), headers };
  if (typeof data === "string") return { ...base, body: data };
  const document = recordOf(data);
  return document ? { ...base, document } : base;
}

/** `@google-cloud/storage`'s `ApiError`: the JSON API's error object, flattened onto the error. */
function apiError(error: Record<string, unknown>): SdkErrorParts | undefined {
  if (!Array.isArray(error["errors"]) || error["code"] === undefined) return undefined;
  const response = recordOf(error["response"]);
  const status = statusOf(error["code"]) ?? statusOf(response?.["statusCode"]);
  const document = {
    error: { code: error["code"], message: error["message"], errors: error["errors"] },
  };
  return {
    ...(status === undefined ? {} : { status }),
    headers: toHeaderMap(response?.["headers"]),
    document,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** An HTTP status, as a number or a three-digit string. */
function statusOf(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}
