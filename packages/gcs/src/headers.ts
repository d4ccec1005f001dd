import type { HeaderMap } from "@skewguard/diagnosis";

interface HeadersLike {
  forEach(callback: (value: string, name: string) => void): void;
}

/**
 * Response headers as the core reads them: lower-case names, repeated values joined with
 * ", ". gaxios 6 and teeny-request hand over a plain object; gaxios 7 and `fetch` a `Headers`.
 */
export function toHeaderMap(headers: unknown): HeaderMap {
  const out: Record<string, string> = {};
  if (headers === null || typeof headers !== "object") return out;
  if (isHeadersLike(headers)) {
    headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function isHeadersLike(value: object): value is HeadersLike {
  return typeof (value as Partial<HeadersLike>).forEach === "function" && !Array.isArray(value);
}

/** The offset store's key of a URL: `host[:port]`, as `URL#host` writes it. */
export function hostOf(url: unknown): string | undefined {
  if (typeof url !== "string" && !(url instanceof URL)) return undefined;
  try {
    return new URL(url).host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error body as text, capped: gaxios parses JSON bodies, teeny-request may not. A parsed
 * body over the cap is re-serialised with each string cut to a share of it, so that one huge
 * member (a proxy's padding, an echoed request) cannot push `error` and `error_description`
 * out of a document that, cut mid-way, would no longer parse.
 */
export function bodyText(data: unknown, maxChars: number): string | undefined {
  if (data === undefined || data === null) return undefined;
  let text: string | undefined;
  if (typeof data === "string") text = data;
  else if (Buffer.isBuffer(data)) text = data.subarray(0, maxChars * 4).toString("utf8");
  else {
    text = serialise(data);
    if (text !== undefined && text.length > maxChars) {
      text = serialise(data, Math.max(1, Math.floor(maxChars / 8)));
    }
  }
  if (text === undefined) return undefined;
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}

function serialise(data: unknown, memberChars?: number): string | undefined {
  try {
    if (memberChars === undefined) return JSON.stringify(data);
    return JSON.stringify(data, (_key, value: unknown) =>
      typeof value === "string" && value.length > memberChars ? value.slice(0, memberChars) : value,
    );
  } catch {
    return undefined;
  }
}
