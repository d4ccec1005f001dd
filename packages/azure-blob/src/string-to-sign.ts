import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { compareHeaderNames } from "./header-collation.js";

/**
 * The SharedKey string to sign exactly as `@azure/storage-blob` 12.x builds it, so that at a
 * zero offset the signature is byte-identical to the SDK's. Facts carried over from the SDK,
 * including its quirks (the service's own order is Content-Encoding, then Content-Language;
 * the SDK signs them the other way round, which only matters when a request sets them):
 * - standard headers by value, empty when absent, and an empty value for `Content-Length: 0`;
 * - `x-ms-*` headers lower-cased, in the service's collation, the first of equal names kept,
 *   the value with leading whitespace removed and nothing else normalised;
 * - the resource `/<account><path>`, then the query parameters that have exactly one `=` with
 *   text on both sides, names lower-cased (a name repeated in another case is listed twice with
 *   the later value), sorted by code unit, values percent-decoded.
 */

const STANDARD_HEADERS = [
  "Content-Language",
  "Content-Encoding",
  "Content-Length",
  "Content-MD5",
  "Content-Type",
  "Date",
  "If-Modified-Since",
  "If-Match",
  "If-None-Match",
  "If-Unmodified-Since",
  "Range",
] as const;

export function sharedKeyStringToSign(request: PipelineRequest, accountName: string): string {
  const standard = STANDARD_HEADERS.map((name) => {
    const value = request.headers.get(name);
    if (!value) return "";
    return name === "Content-Length" && value === "0" ? "" : value;
  });
  return (
    [request.method.toUpperCase(), ...standard].join("\n") +
    "\n" +
    canonicalizedHeaders(request) +
    canonicalizedResource(request.url, accountName)
  );
}

function canonicalizedHeaders(request: PipelineRequest): string {
  const headers: Array<{ name: string; value: string }> = [];
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith("x-ms-")) headers.push({ name: lower, value });
  }
  headers.sort((a, b) => compareHeaderNames(a.name, b.name));
  let out = "";
  let previous: string | undefined;
  for (const { name, value } of headers) {
    if (name === previous) continue;
    previous = name;
    out += `${name.trimEnd()}:${value.trimStart()}\n`;
  }
  return out;
}

function canonicalizedResource(url: string, accountName: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  let resource = `/${accountName}${parsed?.pathname || "/"}`;
  const query = queryParameters(parsed?.search ?? "");
  const lowered = new Map<string, string>();
  const names: string[] = [];
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    lowered.set(lower, value);
    names.push(lower);
  }
  names.sort();
  for (const name of names) resource += `\n${name}:${decodeURIComponent(lowered.get(name) ?? "")}`;
  return resource;
}

/** Raw `name=value` pairs; a repeated name keeps its first position and its last value. */
function queryParameters(search: string): Map<string, string> {
  const params = new Map<string, string>();
  const text = search.trim().replace(/^\?/, "");
  if (!text) return params;
  for (const pair of text.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq !== pair.lastIndexOf("=") || eq === pair.length - 1) continue;
    params.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return params;
}
