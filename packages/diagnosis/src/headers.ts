import type { HeaderMap } from "./types.js";

/**
 * Headers as every SDK hands them over, made one shape: lower-case names, repeated values
 * joined with ", " as Node does. Accepts a fetch `Headers` or anything with `forEach(value,
 * name)` (gaxios 7), an iterable of `[name, value]` pairs (Azure's `HttpHeaders`), or a plain
 * object whose values are strings, numbers or arrays (Node, smithy, gaxios 6, teeny-request).
 * Never throws: a hostile getter yields the headers read so far.
 */
export function toHeaderMap(headers: unknown): HeaderMap {
  const out: Record<string, string> = {};
  if (headers === null || typeof headers !== "object") return out;
  const put = (name: unknown, value: unknown) => {
    if (typeof name !== "string") return;
    const text = headerText(value);
    if (text === undefined) return;
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? text : `${out[key]}, ${text}`;
  };
  try {
    const candidate = headers as {
      forEach?: unknown;
      [Symbol.iterator]?: unknown;
    };
    if (typeof candidate.forEach === "function" && !Array.isArray(headers)) {
      (headers as { forEach(cb: (value: unknown, name: unknown) => void): void }).forEach(
        (value, name) => {
          put(name, value);
        },
      );
    } else if (typeof candidate[Symbol.iterator] === "function") {
      for (const entry of headers as Iterable<unknown>) {
        if (Array.isArray(entry)) put(entry[0], entry[1]);
      }
    } else {
      for (const [name, value] of Object.entries(headers)) put(name, value);
    }
  } catch {
    // What was read is kept: a header map is evidence, and partial evidence beats none.
  }
  return out;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) {
    const parts = value.filter((item): item is string => typeof item === "string");
    return parts.length > 0 ? parts.join(", ") : undefined;
  }
  return undefined;
}

/** Headers that name the request to the provider's support; the first present is reported. */
export const REQUEST_ID_HEADERS = [
  "x-amz-request-id",
  "x-amzn-requestid",
  "x-ms-request-id",
  "x-goog-request-id",
  "x-guploader-uploadid",
] as const;
