/**
 * The allow-list redactor every event passes before it leaves the process. Only known fields
 * survive, and every string that survives is scrubbed of anything shaped like a credential:
 * error bodies echo what the client sent, so any text may carry a signature or a token.
 */

/** What replaces a removed secret. */
export const REDACTED = "[REDACTED]";

/** Keys allowed anywhere in an event; anything else is dropped with its value. */
const ALLOWED_KEYS: ReadonlySet<string> = new Set([
  // common
  "type",
  "time",
  "provider",
  "host",
  "operation",
  "requestId",
  "offsetMs",
  "offsetBoundsMs",
  "evidence",
  // specific
  "skewMs",
  "sampleOutcome",
  "previousOffsetMs",
  "why",
  "attempts",
  "extraLatencyMs",
  "reason",
  "diagnosis",
  // diagnosis
  "cause",
  "confidence",
  "summary",
  "fixes",
  "deadEnds",
  "firstDifference",
  "checked",
  "field",
  "client",
  "server",
  // evidence items
  "name",
  "value",
]);

/**
 * Credential shapes, each replaced wherever it appears. Order matters: the specific forms
 * (which keep their label, so a reader still sees what was there) run before the generic ones.
 */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN[^-]*PRIVATE KEY-----[\s\S]*?(?:-----END[^-]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(authorization\s*[:=]\s*)("?)[^\n"]*/gi, `$1$2${REDACTED}`],
  [/\b(Bearer|SharedKey(?:Lite)?|Basic)\s+[^\s,"']+/gi, `$1 ${REDACTED}`],
  [
    /\b((?:X-Amz-|X-Goog-)?(?:Signature|Security-Token|Credential-Secret)|sig|signatureProvided|SignatureProvided|access_token|id_token|refresh_token|assertion|client_secret|private_key|AccountKey|SharedAccessSignature|x-amz-security-token|token)(\s*[=:]\s*|"\s*:\s*"|=)[^&\s"'<,;]+/gi,
    `$1$2${REDACTED}`,
  ],
  [/<(SignatureProvided|SignatureProvidedBytes)>[^<]*<\/\1>/gi, `<$1>${REDACTED}</$1>`],
  // A JWT: three base64url segments, the first starting with `eyJ` ('{"').
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED],
  // Long opaque base64 runs (secret keys, account keys, HMACs in base64). Hex digests and
  // identifiers without mixed case and digits stay readable: hashes in a string-to-sign are
  // what a person compares, and they are not secret.
  [
    /(?<![\w+/])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9][A-Za-z0-9+/]{29,}={0,2}/g,
    REDACTED,
  ],
];

/** Scrubs credential shapes from one string. */
export function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Returns a deep copy of `value` holding only allowed keys, with every string scrubbed.
 * Functions, symbols and cycles are dropped; numbers, booleans and null pass.
 */
export function redact<T>(value: T): T {
  return copy(value, new WeakSet()) as T;
}

function copy(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactString(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (typeof value !== "object" || value === undefined) return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value))
    return value.map((item) => copy(item, seen)).filter((v) => v !== undefined);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!ALLOWED_KEYS.has(key)) continue;
    const copied = copy(item, seen);
    if (copied !== undefined) out[key] = copied;
  }
  return out;
}
