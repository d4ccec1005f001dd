// The one compact-date parser lives with the other time formats.
export { parseAmzDate } from "./iso-time.js";
/**
 * Names the first field where the server's string-to-sign or canonical request differs from
 * the client's. A signature mismatch with identical strings is a key problem; a difference
 * names what changed (the date, the scope, a header, the path encoding...).
 */

export interface FieldDifference {
  field: string;
  client: string;
  server: string;
}

/** Line names of a SigV4 / GCS V4 string-to-sign. */
const V4_STRING_TO_SIGN_FIELDS = ["algorithm", "date", "scope", "canonical-request-hash"] as const;

/** The fixed lines at the start of an Azure SharedKey string-to-sign (blob service, 2009-09-19+). */
const SHARED_KEY_FIELDS = [
  "verb",
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

const SCOPE_PARTS = ["scope-date", "region", "service", "terminator"] as const;

/** Splits on real and escaped newlines: some servers return `\n` literally in XML. */
function lines(text: string): string[] {
  return text.replace(/\r\n/g, "\n").split("\n");
}

function isV4(stringToSign: string): boolean {
  return /^(?:AWS4|GOOG4)-/.test(stringToSign);
}

/** First difference between two strings-to-sign, or undefined when they are identical. */
export function diffStringToSign(client: string, server: string): FieldDifference | undefined {
  if (client === server) return undefined;
  const a = lines(client);
  const b = lines(server);
  if (isV4(client) || isV4(server)) return diffV4(a, b);
  return diffSharedKey(a, b);
}

function diffV4(a: string[], b: string[]): FieldDifference | undefined {
  for (const [i, name] of V4_STRING_TO_SIGN_FIELDS.entries()) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x === y) continue;
    if (name === "scope") return diffScope(x, y);
    return { field: name, client: x, server: y };
  }
  return firstLineDifference(a, b, V4_STRING_TO_SIGN_FIELDS.length, "line");
}

function diffScope(client: string, server: string): FieldDifference {
  const a = client.split("/");
  const b = server.split("/");
  for (const [i, name] of SCOPE_PARTS.entries()) {
    if ((a[i] ?? "") !== (b[i] ?? ""))
      return { field: `scope.${name}`, client: a[i] ?? "", server: b[i] ?? "" };
  }
  return { field: "scope", client, server };
}

function diffSharedKey(a: string[], b: string[]): FieldDifference | undefined {
  for (const [i, name] of SHARED_KEY_FIELDS.entries()) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return { field: name, client: x, server: y };
  }
  const restA = a.slice(SHARED_KEY_FIELDS.length);
  const restB = b.slice(SHARED_KEY_FIELDS.length);
  const n = Math.max(restA.length, restB.length);
  for (let i = 0; i < n; i++) {
    const x = restA[i] ?? "";
    const y = restB[i] ?? "";
    if (x === y) continue;
    if (x.startsWith("/") || y.startsWith("/"))
      return { field: "canonicalized-resource", client: x, server: y };
    return { field: `header:${headerName(x) ?? headerName(y) ?? "?"}`, client: x, server: y };
  }
  return undefined;
}

/**
 * First difference between two SigV4-style canonical requests: method, path, query, each
 * canonical header, the signed-header list, the payload hash.
 */
export function diffCanonicalRequest(client: string, server: string): FieldDifference | undefined {
  if (client === server) return undefined;
  const a = lines(client);
  const b = lines(server);
  const fixed = [
    ["method", 0],
    ["path", 1],
    ["query", 2],
  ] as const;
  for (const [name, i] of fixed) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return { field: name, client: x, server: y };
  }
  const headersA = a.slice(3, -2);
  const headersB = b.slice(3, -2);
  const names = new Set([...headersA, ...headersB].map(headerName).filter((n) => n !== undefined));
  for (const name of names) {
    const x = headersA.find((l) => headerName(l) === name) ?? "";
    const y = headersB.find((l) => headerName(l) === name) ?? "";
    if (x !== y) return { field: `header:${name}`, client: x, server: y };
  }
  const tail = [
    ["signed-headers", 2],
    ["payload-hash", 1],
  ] as const;
  for (const [name, fromEnd] of tail) {
    const x = a[a.length - fromEnd] ?? "";
    const y = b[b.length - fromEnd] ?? "";
    if (x !== y) return { field: name, client: x, server: y };
  }
  return firstLineDifference(a, b, 0, "line");
}

function headerName(line: string): string | undefined {
  const colon = line.indexOf(":");
  if (colon <= 0) return undefined;
  return line.slice(0, colon).trim().toLowerCase();
}

function firstLineDifference(
  a: string[],
  b: string[],
  from: number,
  label: string,
): FieldDifference | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = from; i < n; i++) {
    if ((a[i] ?? "") !== (b[i] ?? ""))
      return { field: `${label}:${i + 1}`, client: a[i] ?? "", server: b[i] ?? "" };
  }
  return undefined;
}

/** The parts of a V4 string-to-sign a diagnosis reads without a client copy to compare. */
export interface V4StringToSign {
  algorithm: string;
  /** `20261123T100000Z` */
  date: string;
  scopeDate: string;
  region: string;
  service: string;
}

/** Reads a SigV4 / GCS V4 string-to-sign; undefined when it is not one. */
export function parseV4StringToSign(text: string): V4StringToSign | undefined {
  const [algorithm, date, scope] = lines(text);
  if (!algorithm || !isV4(algorithm) || !date || !scope) return undefined;
  const [scopeDate, region, service] = scope.split("/");
  if (!scopeDate || region === undefined || service === undefined) return undefined;
  return { algorithm, date, scopeDate, region, service };
}
