import { SkewguardError } from "./errors.js";
import { REDACTED } from "./redact.js";
import { parseAmzDate } from "./signing-diff.js";
import type { Provider, SignedFacts } from "./types.js";

/**
 * What a signed URL says about itself: S3 presigned (SigV4 and legacy SigV2), GCS signed URLs
 * (V4 and V2) and Azure SAS. Static facts only; whether the URL works needs a clock
 * (url-verdict.ts). Signatures and tokens are never kept in what these functions return,
 * except from `signedUrlSecrets`, whose purpose is to name them for a scrubber.
 */

export type SignedUrlKind = "sigv4" | "sigv2" | "goog4" | "goog2" | "azure-sas";

export interface SignedUrlFacts {
  provider: Provider;
  kind: SignedUrlKind;
  /**
   * `AWS4-HMAC-SHA256`, `GOOG4-RSA-SHA256` as the URL states it; for SigV2, GCS V2 and SAS, which
   * do not state one, a description (`SigV2 (HMAC-SHA1)`, `HMAC-SHA256 (service SAS)`).
   * Absent when a V4 URL omits it (`problems` then says so).
   */
  algorithm?: string;
  /** Who signed: an access key id, a service account email, or the storage account. Never a secret. */
  signer?: { label: string; value: string };
  /** SigV4/GOOG4 credential scope without the key id: `20261123/us-east-1/s3/aws4_request`. */
  scope?: string;
  region?: string;
  service?: string;
  /** Azure: the storage account. */
  account?: string;
  /** Time written into the signature (`X-Amz-Date`, `X-Goog-Date`), ms since the epoch. */
  signedAtMs?: number;
  /** Azure SAS `st`. */
  startsAtMs?: number;
  expiresAtMs?: number;
  /** The lifetime asked for (`X-Amz-Expires`, `X-Goog-Expires`). */
  expiresSeconds?: number;
  /** How far in the server's future the signing time may be and still be accepted. */
  futureAllowanceMs: number;
  /** Everything else worth showing (signed headers, permissions, SAS version...). */
  details: Array<{ name: string; value: string }>;
  /** Azure user delegation SAS: when the delegation key itself expires (`ske`). */
  keyExpiresAtMs?: number;
  /** Malformed parts the service would refuse whatever the clock. */
  problems: string[];
  /** The URL with every signature and token replaced by `[REDACTED]`, and no user info. */
  redactedUrl: string;
}

/** What a request made with a signed URL signed, ready to spread into an `Observation`. */
export interface SignedUrlObservation {
  /** Times, algorithm, scope and signer from the URL; never its signature or token. */
  signed: SignedFacts;
  /** A signed URL is judged by its validity window, and is never re-signed by a resend. */
  presigned: true;
}

/** S3 and GCS accept a signing time up to 15 minutes in their future (the SigV4 window). */
export const SIGV4_FUTURE_ALLOWANCE_MS = 15 * 60_000;
/** S3 and GCS refuse lifetimes over seven days. */
export const MAX_EXPIRES_SECONDS = 604_800;

/** Query parameters holding a signature or a token. */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  "x-amz-signature",
  "x-amz-security-token",
  "x-goog-signature",
  "signature",
  "sig",
]);

type Query = ReadonlyMap<string, string>;
type ShapeFacts = Omit<SignedUrlFacts, "redactedUrl">;

/**
 * Reads a signed URL's own fields: S3 presigned (SigV4, SigV2), GCS signed (V4, V2) or Azure
 * SAS. Throws `SkewguardError` with code `SKEWGUARD_INVALID_INPUT` when `text` is not an
 * http(s) URL or carries no signature parameters; a signed URL with malformed parts is read as
 * far as it goes, the parts listed in `problems`. The result holds no signature or token.
 *
 * @example
 * ```ts
 * const facts = parseSignedUrl(url);
 * // facts.kind: "sigv4", facts.region: "us-east-1", facts.signedAtMs, facts.expiresAtMs,
 * // facts.redactedUrl: "https://b.s3.amazonaws.com/k?...&X-Amz-Signature=[REDACTED]"
 * ```
 */
export function parseSignedUrl(text: string): SignedUrlFacts {
  const facts = readSignedUrl(parseUrl(text));
  if (!facts) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_INPUT",
      "not a signed URL: expected S3 (X-Amz-Signature...), GCS (X-Goog-Signature...) or Azure SAS (sv, se, sig) query parameters",
    );
  }
  return facts;
}

/**
 * What a signed URL says was signed, as the core's `SignedFacts`, with `presigned: true`; or
 * undefined when `url` is not a signed URL. Never throws, and never returns the signature, a
 * session token or a SAS `sig`.
 *
 * @example
 * ```ts
 * const observation: Observation = { provider: "gcs", host, sentAt, receivedAt, status, headers,
 *   body, ...signedFactsOfUrl(url) };
 * const diagnosis = await recovery.diagnose(observation);
 * ```
 */
export function signedFactsOfUrl(url: string): SignedUrlObservation | undefined {
  const parsed = tryUrl(url);
  const facts = parsed && readSignedUrl(parsed);
  if (!facts) return undefined;
  const signed: SignedFacts = {};
  if (facts.signedAtMs !== undefined) signed.signedAtMs = facts.signedAtMs;
  if (facts.algorithm !== undefined) signed.algorithm = facts.algorithm;
  if (facts.scope !== undefined) signed.credentialScope = facts.scope;
  if (facts.region !== undefined) signed.region = facts.region;
  if (facts.service !== undefined) signed.service = facts.service;
  if (facts.signer !== undefined) signed.accessKeyId = facts.signer.value;
  if (facts.expiresSeconds !== undefined) signed.expiresSeconds = facts.expiresSeconds;
  if (facts.expiresAtMs !== undefined) signed.expiresAtMs = facts.expiresAtMs;
  if (facts.startsAtMs !== undefined) signed.startsAtMs = facts.startsAtMs;
  return { signed, presigned: true };
}

/**
 * The signature and token values in a URL (raw and percent-decoded), for an output scrubber
 * that must find them wherever they reappear. Empty for anything that is not a URL.
 */
export function signedUrlSecrets(url: string): string[] {
  const parsed = tryUrl(url);
  if (!parsed) return [];
  const secrets: string[] = [];
  for (const piece of parsed.search.slice(1).split("&")) {
    const [rawName = "", ...rest] = piece.split("=");
    if (!SECRET_PARAMS.has(safeDecode(rawName).toLowerCase())) continue;
    const raw = rest.join("=");
    secrets.push(raw, safeDecode(raw));
  }
  return [...new Set(secrets.filter((s) => s !== ""))];
}

function readSignedUrl(url: URL): SignedUrlFacts | undefined {
  const facts = readByShape(url, lowerCaseQuery(url));
  return facts && { ...facts, redactedUrl: redactUrl(url) };
}

function readByShape(url: URL, query: Query): ShapeFacts | undefined {
  if (query.has("x-amz-algorithm") || query.has("x-amz-signature"))
    return readV4(url, query, "amz");
  if (query.has("x-goog-algorithm") || query.has("x-goog-signature"))
    return readV4(url, query, "goog");
  if (query.has("sig") && (query.has("sv") || query.has("se"))) return readSas(url, query);
  if (query.has("signature") && query.has("expires")) return readV2(url, query);
  return undefined;
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text.trim());
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
    return url;
  } catch (error) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_INPUT",
      `not a URL: ${JSON.stringify(shorten(text))}`,
      {
        cause: error,
      },
    );
  }
}

function tryUrl(text: string): URL | undefined {
  try {
    return parseUrl(text);
  } catch {
    return undefined;
  }
}

/** Parameter names compared case-insensitively: SDKs and people disagree on case. */
function lowerCaseQuery(url: URL): Query {
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) query.set(name.toLowerCase(), value);
  return query;
}

/** Replaces secret values in the URL's own text, so the rest keeps its exact encoding. */
function redactUrl(url: URL): string {
  const pieces = url.search
    .slice(1)
    .split("&")
    .map((piece) => {
      const [rawName = ""] = piece.split("=");
      return SECRET_PARAMS.has(safeDecode(rawName).toLowerCase())
        ? `${rawName}=${REDACTED}`
        : piece;
    });
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  const search = url.search === "" ? "" : `?${pieces.join("&")}`;
  return `${copy.origin}${copy.pathname}${search}`;
}

function readV4(url: URL, query: Query, vendor: "amz" | "goog"): ShapeFacts {
  const get = (name: string) => query.get(`x-${vendor}-${name}`);
  const problems: string[] = [];
  const facts: ShapeFacts = {
    provider: vendor === "goog" || isGoogleHost(url) ? "gcs" : "s3",
    kind: vendor === "amz" ? "sigv4" : "goog4",
    futureAllowanceMs: SIGV4_FUTURE_ALLOWANCE_MS,
    details: [],
    problems,
  };
  const algorithm = get("algorithm");
  const expected =
    vendor === "amz" ? ["AWS4-HMAC-SHA256"] : ["GOOG4-RSA-SHA256", "GOOG4-HMAC-SHA256"];
  if (algorithm !== undefined) facts.algorithm = algorithm;
  if (algorithm === undefined || !expected.includes(algorithm)) {
    problems.push(
      `X-${cap(vendor)}-Algorithm is ${algorithm ?? "missing"}; expected ${expected.join(" or ")}`,
    );
  }
  readCredential(get("credential"), facts, vendor);
  const dateText = get("date");
  const signedAtMs = dateText === undefined ? undefined : parseAmzDate(dateText);
  if (signedAtMs === undefined)
    problems.push(`X-${cap(vendor)}-Date is missing or not yyyyMMddTHHmmssZ`);
  else facts.signedAtMs = signedAtMs;
  if (dateText && facts.scope && !facts.scope.startsWith(dateText.slice(0, 8))) {
    problems.push("the credential scope's date is not the date of X-Amz-Date/X-Goog-Date");
  }
  readExpires(get("expires"), facts, vendor);
  if (!get("signature")) problems.push(`no X-${cap(vendor)}-Signature`);
  addDetail(facts, "signed headers", get("signedheaders"));
  if (get("security-token")) addDetail(facts, "session token", "present (temporary credentials)");
  return facts;
}

function readCredential(credential: string | undefined, facts: ShapeFacts, vendor: string): void {
  if (credential === undefined) {
    facts.problems.push(`no X-${cap(vendor)}-Credential`);
    return;
  }
  // `<id>/<date>/<region>/<service>/<terminator>`; the id itself may not contain "/".
  const parts = credential.split("/");
  const [id = "", date, region, service, terminator] = parts;
  facts.signer = {
    label: id.includes("@") ? "service account" : "access key id",
    value: id,
  };
  if (parts.length !== 5 || !date || !region || !service || !terminator) {
    facts.problems.push("the credential is not <id>/<date>/<region>/<service>/<terminator>");
    return;
  }
  facts.scope = parts.slice(1).join("/");
  facts.region = region;
  facts.service = service;
}

function readExpires(text: string | undefined, facts: ShapeFacts, vendor: string): void {
  const seconds = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
  if (seconds === undefined) {
    facts.problems.push(`X-${cap(vendor)}-Expires is missing or not a number of seconds`);
    return;
  }
  if (seconds < 1 || seconds > MAX_EXPIRES_SECONDS) {
    facts.problems.push(
      `X-${cap(vendor)}-Expires is ${seconds}s; it must be 1 to ${MAX_EXPIRES_SECONDS} (7 days)`,
    );
  }
  facts.expiresSeconds = seconds;
  if (facts.signedAtMs !== undefined) facts.expiresAtMs = facts.signedAtMs + seconds * 1000;
}

/** Legacy query-string auth: `Expires` is absolute epoch seconds, and no signing time is sent. */
function readV2(url: URL, query: Query): ShapeFacts {
  const google = query.has("googleaccessid") || isGoogleHost(url);
  const facts: ShapeFacts = {
    provider: google ? "gcs" : "s3",
    kind: google ? "goog2" : "sigv2",
    algorithm: google ? "GOOG2 (V2 signed URL, RSA-SHA256)" : "SigV2 (HMAC-SHA1)",
    futureAllowanceMs: 0,
    details: [],
    problems: [],
  };
  const id = query.get("googleaccessid") ?? query.get("awsaccesskeyid");
  if (id) facts.signer = { label: google ? "service account" : "access key id", value: id };
  const expires = query.get("expires") ?? "";
  if (/^\d{1,12}$/.test(expires)) facts.expiresAtMs = Number(expires) * 1000;
  else facts.problems.push("Expires is not a number of seconds since the epoch");
  addDetail(facts, "note", "a legacy signature: no signing time in the URL; prefer V4 signing");
  return facts;
}

function readSas(url: URL, query: Query): ShapeFacts {
  const facts: ShapeFacts = {
    provider: "azure",
    kind: "azure-sas",
    algorithm: `HMAC-SHA256 (${sasType(query)})`,
    futureAllowanceMs: 0,
    details: [],
    problems: [],
  };
  const account = accountOf(url);
  if (account) {
    facts.account = account;
    facts.signer = { label: "account", value: account };
  }
  const startsAtMs = readSasTime(query, "st", facts);
  if (startsAtMs !== undefined) facts.startsAtMs = startsAtMs;
  const expiresAtMs = readSasTime(query, "se", facts);
  if (expiresAtMs !== undefined) facts.expiresAtMs = expiresAtMs;
  else if (!query.has("si")) facts.problems.push("no se (expiry) and no si (stored access policy)");
  if (startsAtMs !== undefined && expiresAtMs !== undefined && startsAtMs >= expiresAtMs) {
    facts.problems.push("st (start) is not before se (expiry)");
  }
  const keyExpires = readSasTime(query, "ske", facts);
  if (keyExpires !== undefined) facts.keyExpiresAtMs = keyExpires;
  for (const [name, label] of SAS_DETAILS) addDetail(facts, label, query.get(name));
  return facts;
}

const SAS_DETAILS: ReadonlyArray<[string, string]> = [
  ["sv", "service version"],
  ["sr", "resource"],
  ["ss", "services"],
  ["srt", "resource types"],
  ["sp", "permissions"],
  ["spr", "protocol"],
  ["sip", "IP range"],
  ["si", "stored access policy"],
  ["skoid", "delegation object id"],
];

function sasType(query: Query): string {
  if (query.has("skoid")) return "user delegation SAS";
  if (query.has("ss") || query.has("srt")) return "account SAS";
  return "service SAS";
}

/** SAS times are ISO 8601 in UTC: a date, or a date and time to the minute or second. */
function readSasTime(query: Query, name: string, facts: ShapeFacts): number | undefined {
  const text = query.get(name);
  if (text === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?Z)?$/.test(text);
  const ms = iso ? Date.parse(text.replace(/(\.\d{3})\d+Z$/, "$1Z")) : Number.NaN;
  if (Number.isNaN(ms)) {
    facts.problems.push(`${name}=${text} is not an ISO 8601 UTC time`);
    return undefined;
  }
  return ms;
}

/** `account.blob.core.windows.net`, or Azurite's path style `127.0.0.1:10000/account/...`. */
function accountOf(url: URL): string | undefined {
  if (/\.(?:blob|dfs|file|queue|table)\.core\./.test(url.hostname))
    return url.hostname.split(".")[0];
  const first = url.pathname.split("/")[1];
  return first ? safeDecode(first) : undefined;
}

function isGoogleHost(url: URL): boolean {
  return (
    url.hostname === "storage.googleapis.com" || url.hostname.endsWith(".storage.googleapis.com")
  );
}

function addDetail(facts: ShapeFacts, name: string, value: string | undefined): void {
  if (value !== undefined && value !== "") facts.details.push({ name, value });
}

function cap(vendor: string): string {
  return vendor === "amz" ? "Amz" : vendor === "goog" ? "Goog" : vendor;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
