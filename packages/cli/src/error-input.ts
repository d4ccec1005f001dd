import { type HeaderMap, type Observation, type Provider } from "@skewguard/diagnosis";
import { readCapped } from "@skewguard/diagnosis/adapter";

/**
 * Turns whatever a person pasted into an observation the core can diagnose: a raw error body
 * (S3/GCS XML, Azure XML, Google JSON), an HTTP response as `curl -i` prints it, or an SDK error
 * printed as JSON (AWS SDK v3 `{"name":...,"$metadata":...}`, Azure `RestError`, gaxios).
 * Detection is by shape; `--provider` overrides it.
 */

/** The shapes recognised; stable names (JSON output). */
export type InputShape =
  | "s3-xml"
  | "gcs-xml"
  | "azure-xml"
  | "gcs-json"
  | "oauth-json"
  | "aws-sdk-error"
  | "azure-sdk-error"
  | "gcs-sdk-error"
  | "azure-detail-text"
  | "oauth-text";

export interface ErrorInput {
  provider: Provider;
  shape: InputShape;
  /** The input was an HTTP response with a status line and headers. */
  http: boolean;
  observation: Observation;
  /** The status was not in the input: guessed from the code. */
  statusInferred: boolean;
}

interface Parts {
  provider?: Provider;
  shape: InputShape;
  status?: number;
  headers: Record<string, string>;
  body?: string;
  fields?: Record<string, string>;
  tokenGrant?: boolean;
}

/** Undefined when the text is none of the shapes above. */
export function readErrorInput(raw: string, forced?: Provider): ErrorInput | undefined {
  const text = readCapped(raw)
    .replace(/^\uFEFF/, "")
    .trim();
  const http = splitHttpResponse(text);
  const parts = readContent(http?.body ?? text, forced);
  if (!parts) return undefined;
  const headers = { ...(http?.headers ?? {}), ...parts.headers };
  const provider = forced ?? parts.provider ?? providerFromHeaders(headers) ?? "s3";
  const status = http?.status ?? parts.status;
  const observation: Observation = {
    provider,
    host: "unknown",
    sentAt: 0,
    receivedAt: 0,
    status: status ?? 0,
    headers: headers as HeaderMap,
  };
  if (parts.body !== undefined) observation.body = parts.body;
  if (parts.fields) observation.fields = parts.fields;
  if (parts.tokenGrant) observation.tokenGrant = true;
  return {
    provider,
    shape: parts.shape,
    http: http !== undefined,
    observation,
    statusInferred: status === undefined,
  };
}

/** Status codes the services answer these codes with, for inputs that did not say. */
export function inferStatus(code: string | undefined): number {
  if (code === "ExpiredToken" || code === "invalid_grant" || code === "InvalidArgument") return 400;
  if (code === "authError" || code === "401") return 401;
  if (
    code === "NoSuchKey" ||
    code === "NoSuchBucket" ||
    code === "BlobNotFound" ||
    code === "notFound"
  )
    return 404;
  return 403;
}

/** `HTTP/1.1 403 Forbidden` + headers + blank line + body, as `curl -i` prints it. */
function splitHttpResponse(
  text: string,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const status = /^HTTP\/[\d.]+ (\d{3})/.exec(text);
  if (!status) return undefined;
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : "";
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(status[1]), headers, body: body.trim() };
}

function readContent(text: string, forced: Provider | undefined): Parts | undefined {
  if (text.startsWith("<")) return readXml(text, forced);
  if (text.startsWith("{")) {
    const value = parseJson(text);
    return isRecord(value) ? readJson(value, text, forced) : undefined;
  }
  return readText(text);
}

function readXml(body: string, forced: Provider | undefined): Parts | undefined {
  if (!/<Error[\s>]/.test(body)) return undefined;
  const provider = forced ?? xmlProvider(body);
  const shape: InputShape =
    provider === "azure" ? "azure-xml" : provider === "gcs" ? "gcs-xml" : "s3-xml";
  return { provider, shape, headers: {}, body };
}

/**
 * Azure puts `RequestId:`/`Time:` lines in `<Message>` and may add `AuthenticationErrorDetail`;
 * GCS's XML API adds `<Details>` and quotes its declaration with single quotes.
 */
function xmlProvider(body: string): Provider {
  if (/<AuthenticationErrorDetail>|RequestId:[\w-]+\s+Time:/.test(body)) return "azure";
  if (/<Details>|^<\?xml version='1\.0'/.test(body)) return "gcs";
  return "s3";
}

function readJson(
  value: Record<string, unknown>,
  text: string,
  forced: Provider | undefined,
): Parts | undefined {
  if (value["error"] !== undefined) return googleJson(value, text);
  return readSdkError(value, forced);
}

/** `{"error":"invalid_grant",...}` is the OAuth endpoint; `{"error":{...}}` the JSON API. */
function googleJson(value: Record<string, unknown>, text: string): Parts | undefined {
  const oauth = typeof value["error"] === "string";
  if (!oauth && !isRecord(value["error"])) return undefined;
  const parts: Parts = {
    provider: "gcs",
    shape: oauth ? "oauth-json" : "gcs-json",
    headers: {},
    body: text,
  };
  if (oauth) parts.tokenGrant = true;
  return parts;
}

function readSdkError(
  value: Record<string, unknown>,
  forced: Provider | undefined,
): Parts | undefined {
  const response = isRecord(value["response"]) ? value["response"] : undefined;
  const headers = stringRecord(response?.["headers"]);
  if (isRecord(value["$metadata"]) || (forced === "s3" && typeof value["Code"] === "string")) {
    return awsSdkError(value);
  }
  const data = response?.["data"];
  if (isRecord(data) && data["error"] !== undefined) {
    const parts = googleJson(data, JSON.stringify(data));
    if (!parts) return undefined;
    const status = numberOf(response?.["status"]);
    return {
      ...parts,
      shape: "gcs-sdk-error",
      headers,
      ...(status === undefined ? {} : { status }),
    };
  }
  if (typeof value["statusCode"] === "number" || isRecord(value["details"])) {
    return azureSdkError(value, response, headers);
  }
  if (Array.isArray(value["errors"]) && value["code"] !== undefined) {
    // @google-cloud/storage's ApiError: the JSON API's error object, flattened.
    const body = JSON.stringify({
      error: { code: value["code"], message: value["message"], errors: value["errors"] },
    });
    const status = numberOf(value["code"]);
    return {
      provider: "gcs",
      shape: "gcs-sdk-error",
      headers,
      body,
      ...(status === undefined ? {} : { status }),
    };
  }
  return undefined;
}

/**
 * The AWS SDK copies the error body's elements onto the error (`Code`, `ServerTime`,
 * `StringToSign`...); the core reads those as fields, like the plugin does.
 */
function awsSdkError(value: Record<string, unknown>): Parts {
  const fields: Record<string, string> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === "string") fields[name] = item;
  }
  if (fields["Code"] === undefined && typeof value["name"] === "string")
    fields["Code"] = value["name"];
  const metadata = isRecord(value["$metadata"]) ? value["$metadata"] : {};
  const headers: Record<string, string> = {};
  const requestId = metadata["requestId"];
  if (typeof requestId === "string") headers["x-amz-request-id"] = requestId;
  const status = numberOf(metadata["httpStatusCode"]);
  return {
    provider: "s3",
    shape: "aws-sdk-error",
    headers,
    fields,
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * `RestError`: the body as text when the response was kept, else the parsed `details`, turned
 * back into the XML the service sent so the core's Azure reader sees what it always sees.
 */
function azureSdkError(
  value: Record<string, unknown>,
  response: Record<string, unknown> | undefined,
  headers: Record<string, string>,
): Parts {
  const status = numberOf(value["statusCode"]) ?? numberOf(response?.["status"]);
  const base = {
    provider: "azure" as const,
    shape: "azure-sdk-error" as const,
    headers,
    ...(status === undefined ? {} : { status }),
  };
  const bodyText = response?.["bodyAsText"];
  if (typeof bodyText === "string" && bodyText.trim().startsWith("<"))
    return { ...base, body: bodyText };
  const details = isRecord(value["details"]) ? value["details"] : {};
  const code = stringOf(details["errorCode"]) ?? stringOf(value["code"]);
  const message = stringOf(details["message"]) ?? stringOf(value["message"]);
  const detail =
    stringOf(details["authenticationErrorDetail"]) ??
    stringOf(details["AuthenticationErrorDetail"]);
  return { ...base, body: azureXml(code, message, detail) };
}

/** Bare prose: an Azure `AuthenticationErrorDetail` or an OAuth `error_description` on its own. */
function readText(text: string): Parts | undefined {
  if (/Invalid JWT|invalid_grant/i.test(text)) {
    const body = JSON.stringify({ error: "invalid_grant", error_description: text });
    return { provider: "gcs", shape: "oauth-text", headers: {}, body, tokenGrant: true };
  }
  if (
    /Request date header too (?:old|new)|Signature not valid in the specified time frame|Signed expiry time|The MAC signature found/i.test(
      text,
    )
  ) {
    return {
      provider: "azure",
      shape: "azure-detail-text",
      headers: {},
      body: azureXml("AuthenticationFailed", undefined, text),
    };
  }
  return undefined;
}

function azureXml(
  code: string | undefined,
  message: string | undefined,
  detail: string | undefined,
): string {
  const element = (name: string, content: string | undefined) =>
    content === undefined ? "" : `<${name}>${escapeXml(content)}</${name}>`;
  return `<?xml version="1.0" encoding="utf-8"?><Error>${element("Code", code)}${element("Message", message)}${element("AuthenticationErrorDetail", detail)}</Error>`;
}

function providerFromHeaders(headers: Record<string, string>): Provider | undefined {
  if (headers["x-ms-request-id"] !== undefined || headers["x-ms-error-code"] !== undefined)
    return "azure";
  if (headers["x-guploader-uploadid"] !== undefined) return "gcs";
  if (headers["x-amz-request-id"] !== undefined) return "s3";
  return undefined;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** Header objects as SDKs print them; only string values, names lower-cased. */
function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === "string") out[name.toLowerCase()] = item;
  }
  return out;
}
