/**
 * The SharedKey string to sign as the storage service documents it (Content-Encoding before
 * Content-Language), built from a request as the proxy received it. The proxy quotes it in the
 * "MAC signature ... Server used following string to sign" detail, as the service does, so a
 * client's diagnosis can diff it against what the client signed. Written independently of the
 * client package under test on purpose.
 */

const STANDARD_HEADERS = [
  "content-encoding",
  "content-language",
  "content-length",
  "content-md5",
  "content-type",
  "date",
  "if-modified-since",
  "if-match",
  "if-none-match",
  "if-unmodified-since",
  "range",
] as const;

export type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

function single(value: string | string[] | undefined): string {
  if (value === undefined) return "";
  return Array.isArray(value) ? value.join(",") : value;
}

export function serviceStringToSign(
  method: string,
  rawUrl: string,
  headers: IncomingHeaders,
  accountName: string,
): string {
  const standard = STANDARD_HEADERS.map((name) => {
    const value = single(headers[name]);
    // Since version 2015-02-21 a zero Content-Length is signed as empty.
    return name === "content-length" && value === "0" ? "" : value;
  });
  const url = new URL(rawUrl, "http://proxy.invalid");
  return (
    [method.toUpperCase(), ...standard].join("\n") +
    "\n" +
    canonicalHeaders(headers) +
    canonicalResource(url, accountName)
  );
}

function canonicalHeaders(headers: IncomingHeaders): string {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith("x-ms-"))
    .sort()
    .map((name) => `${name}:${single(headers[name]).trimStart()}\n`)
    .join("");
}

function canonicalResource(url: URL, accountName: string): string {
  const params = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) {
    const name = key.toLowerCase();
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  const lines = [...params.keys()]
    .sort()
    .map((name) => `\n${name}:${(params.get(name) ?? []).sort().join(",")}`);
  return `/${accountName}${url.pathname || "/"}${lines.join("")}`;
}
