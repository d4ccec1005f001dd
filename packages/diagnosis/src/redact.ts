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
  "candidates",
  "check",
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
  [/(authorization\s*[:=]\s*)("?)[^\n"]*/gi, `$1$2${REDACTED}`],
  [/(Bearer|SharedKey(?:Lite)?|Basic)\s+[^\s,"']+/gi, `$1 ${REDACTED}`],
  [
    /((?:X-Amz-|X-Goog-)?(?:Signature|Security-Token|Credential-Secret)|sig|signatureProvided|SignatureProvided|access_token|id_token|refresh_token|assertion|client_secret|private_key|AccountKey|SharedAccessSignature|x-amz-security-token|token)(\s*[=:]\s*|"\s*:\s*"|=)[^&\s"'<,;]+/gi,
    `$1$2${REDACTED}`,
  ],
  [/<(SignatureProvided|SignatureProvidedBytes)>[^<]*<\/\1>/gi, `<$1>${REDACTED}</$1>`],
  // A JWT: three base64url segments, the first starting with `eyJ` ('{"').
  [/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED],
  // Hex digests of 40+ digits, even glued to other text: a SigV4 signature looks exactly like
  // a payload hash, so both go; the diagnosis still names which field differed. Patterns do not
  // anchor on word boundaries: a mangled body may glue a secret to anything.
  [/[0-9a-fA-F]{40,}/g, REDACTED],
];

/**
 * Long opaque base64 runs (secret keys, account keys, HMACs in base64): a run of 30+ base64
 * characters mixing upper case, lower case and digits. Hosts, paths, ids and dates, which lack
 * one of the three or are broken up by `-`, `.`, `_`, stay readable. Checked per run, so the
 * cost stays linear in the text.
 */
const BASE64_RUN = /[A-Za-z0-9+/]{30,}={0,2}/g;

function looksOpaque(run: string): boolean {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run);
}

/** Events carry no more text than this per string; longer text is cut before scrubbing. */
export const MAX_STRING_CHARS = 4096;

/** Scrubs credential shapes from one string. */
export function redactString(text: string): string {
  let out = text.length > MAX_STRING_CHARS ? `${text.slice(0, MAX_STRING_CHARS)}…` : text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out.replace(BASE64_RUN, (run) => (looksOpaque(run) ? REDACTED : run));
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
