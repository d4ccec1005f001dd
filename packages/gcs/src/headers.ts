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

/** An error body as text, capped: gaxios parses JSON bodies, teeny-request may not. */
export function bodyText(data: unknown, maxChars: number): string | undefined {
  if (data === undefined || data === null) return undefined;
  let text: string;
  if (typeof data === "string") text = data;
  else if (Buffer.isBuffer(data)) text = data.toString("utf8");
  else {
    try {
      text = JSON.stringify(data);
    } catch {
      return undefined;
    }
  }
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
