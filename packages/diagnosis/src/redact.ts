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

/** A percent-escape of `=`, `:` or `&`, once or twice encoded (a URL inside a URL's query). */
const ENCODED = (hex: string) => `%(?:25){0,3}${hex}`;
const VALUE_END = ENCODED("26");

/**
 * Credential shapes, each replaced wherever it appears. Order matters: the specific forms
 * (which keep their label, so a reader still sees what was there) run before the generic ones.
 */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN[^-]*PRIVATE KEY-----[\s\S]*?(?:-----END[^-]*PRIVATE KEY-----|$)/g, REDACTED],
  [/(authorization\s*[:=]\s*)("?)[^\n"]*/gi, `$1$2${REDACTED}`],
  [/(Bearer|SharedKey(?:Lite)?|Basic)\s+[^\s,"']+/gi, `$1 ${REDACTED}`],
  // A labelled value, the label kept. The separator may be percent-encoded once or twice
  // (`sig%3D`, `sig%253D`: a SAS URL carried in another URL's query), and the value then ends
  // at an encoded `&` too.
  [
    new RegExp(
      `((?:X-Amz-|X-Goog-)?(?:Signature|Security-Token|Credential-Secret)|sig|signatureProvided|SignatureProvided|access_token|id_token|refresh_token|assertion|client_secret|private_key|AccountKey|SharedAccessSignature|x-amz-security-token|token|(?:secret|private)_?(?:access_?)?key|password)(\\s*[=:]\\s*|"\\s*:\\s*"|${ENCODED("3[Dd]")}|${ENCODED("3[Aa]")})(?:(?!${VALUE_END})[^&\\s"'<,;])+`,
      "gi",
    ),
    `$1$2${REDACTED}`,
  ],
  [/<(SignatureProvided|SignatureProvidedBytes)>[^<]*<\/\1>/gi, `<$1>${REDACTED}</$1>`],
  // The password (or token) in a URL's user info: `https://user:password@host`. Found from
  // the `://`, whatever the scheme is glued to.
  [/:\/\/[^\s/?#@"'<>]+@/g, `://${REDACTED}@`],
  // ... and what is left of one cut before its `@`: `scheme://user:pass`, where what follows
  // the colon is no port.
  [/:\/\/[^\s/?#@"'<>:[\]]*:(?!\d*(?:[/?#\s"'<>]|$))[^\s/?#@"'<>]+/g, `://${REDACTED}`],
  // Hex digests of 40+ digits, even glued to other text: a SigV4 signature looks exactly like
  // a payload hash, so both go; the diagnosis still names which field differed. Patterns do not
  // anchor on word boundaries: a mangled body may glue a secret to anything.
  [/[0-9a-fA-F]{40,}/g, REDACTED],
];

/**
 * Shapes recognised by how they start, with no label. They run after the opaque runs (below):
 * `eyJ` or `1//0` inside a random key would otherwise cut it, leaving its start too short for
 * anything to recognise.
 */
const PREFIXED_PATTERNS: readonly RegExp[] = [
  // Google OAuth access tokens (`ya29.`), refresh tokens (`1//0`) and OAuth client secrets.
  /ya29\.[\w.-]*|1\/\/0[\w-]{20,}|GOCSPX-[\w-]+/g,
  // A JWT, or any of its segments alone: base64url JSON starting `{"` is `eyJ`.
  /eyJ[\w-]{4,}(?:\.[\w-]*){0,2}/g,
];

/**
 * The segments after a redacted one, joined by dots, when each is a base64url run as long as a
 * signature or a payload: the rest of a JWT whose signature the opaque-run test let through
 * (it misses a random 43-character run now and then, see `looksRandom`). Host labels after a
 * marker are shorter than that and stay.
 */
const JWT_TAIL = /\[REDACTED\](?:\.[\w-]{16,}){1,2}/g;

/**
 * Markers side by side (a JWT's segments, each redacted) read as one, and so do two markers
 * around a base64url run that reaches the second through a dot: the rest of a JWT's first
 * segment, whose `eyJ` start an opaque run glued before it took along
 * (`...ExceyJhbGc` + `iOiJIUzI1NiJ9.` + `eyJzdWIi...`).
 */
const ADJACENT_MARKERS = /\[REDACTED\](?:(?:[.\-_]|[\w-]*\.)?\[REDACTED\])+/g;

/**
 * Long opaque base64 runs (secret keys, account keys, session tokens, HMACs in base64): a run
 * of 30+ base64 characters mixing upper case, lower case and digits. Hosts, paths, ids and
 * dates, which lack one of the three or are broken up by `-`, `.`, `_`, stay readable. `+`, `/`
 * and `=` may be percent-encoded, once or twice (a session token or a SAS signature inside a
 * URL); such a run must also look random (below), or an encoded path would go too.
 */
const BASE64_RUN = new RegExp(
  `(?:[A-Za-z0-9+/]|${ENCODED("(?:2[BbFf]|3[Dd])")}){30,}(?:=|${ENCODED("3[Dd]")}){0,2}`,
  "g",
);

/**
 * Runs of base64 and base64url together (`-` and `_` as well as `+` and `/`): a JWT's signature
 * segment on its own, an OAuth token, a secret glued to a path. Words joined by these (bucket
 * names, file names, paths, identifiers) are such runs too, so a run goes whole only when it
 * looks random (below); otherwise its plain base64 runs are judged alone, as above. Checked per
 * run, so the cost stays linear in the text.
 */
const TOKEN_RUN = new RegExp(
  `(?:[A-Za-z0-9+/_-]|${ENCODED("(?:2[BbFf]|3[Dd])")}){30,}(?:=|${ENCODED("3[Dd]")}){0,2}`,
  "g",
);
const MIN_CLASS_CHANGES = 0.3;
const MIN_CLASS_CHANGES_UNWORDY = 0.2;
const MAX_VOWEL_SHARE = 0.25;
/** a, e, i, o, u, y */
const VOWELS: ReadonlySet<number> = new Set([97, 101, 105, 111, 117, 121]);

const ESCAPE = /%(?:25){0,3}[0-9A-Fa-f]{2}/g;

function looksOpaque(run: string): boolean {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run);
}

function bare(run: string): string {
  return run.includes("%") ? run.replace(ESCAPE, "") : run;
}

function opaqueBase64(run: string): boolean {
  return run.includes("%") ? looksRandom(bare(run)) : looksOpaque(run);
}

function scrubRun(run: string): string {
  if (looksRandom(bare(run))) return REDACTED;
  return run.replace(BASE64_RUN, (part) => (opaqueBase64(part) ? REDACTED : part));
}

/**
 * Random-looking: both cases, changing class (upper, lower, digit) between neighbours as random
 * base64 does, about 6 times in 10; 3 in 10 is the bar. Words joined up change less often
 * (`AuthorizationQueryParametersError`: 7 in 32; `Quarterly-Report-2026-final_v2`: 6 in 24).
 * A run that changes less than that but at least 2 in 10 is still random when its lower case
 * is no language: fewer than 1 vowel in 4 (random letters have about 1 in 4.3, words 2 in 5).
 * No digit is required: 1 random key in 1,400 has none. Measured on 300,000 random keys each:
 * misses 1 in 75,000 of 43 characters (an HS256 JWT signature), 1 in 6,000 of 30, none of 86+
 * (ES256, RS256). The price: identifiers of short capitalised words go too
 * (`my-Bucket-Name-With-Suffix-2026`, `HTTPSServerURLParserV2`, as identifiers mixing digits
 * and both cases always did): a lost identifier costs less than a leaked key.
 */
function looksRandom(run: string): boolean {
  if (!/[a-z]/.test(run) || !/[A-Z]/.test(run)) return false;
  let changes = 0;
  let pairs = 0;
  let previous = -1;
  let lower = 0;
  let vowels = 0;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    const kind = charClass(code);
    if (kind < 0) continue; // separators neither count nor break a pair
    if (kind === 1) {
      lower++;
      if (VOWELS.has(code)) vowels++;
    }
    if (previous >= 0) {
      pairs++;
      if (kind !== previous) changes++;
    }
    previous = kind;
  }
  const ratio = changes / pairs;
  if (ratio >= MIN_CLASS_CHANGES) return true;
  // Fewer changes, by chance: still random if its lower case is no language (a word has 2 or
  // more vowels in 5 letters; random letters about 1 in 5).
  return ratio >= MIN_CLASS_CHANGES_UNWORDY && lower >= 8 && vowels / lower < MAX_VOWEL_SHARE;
}

/** 0 upper, 1 lower, 2 digit, -1 anything else. */
function charClass(code: number): number {
  if (code >= 65 && code <= 90) return 0;
  if (code >= 97 && code <= 122) return 1;
  if (code >= 48 && code <= 57) return 2;
  return -1;
}

/** Events carry no more text than this per string; longer text is scrubbed, then cut. */
export const MAX_STRING_CHARS = 4096;

/**
 * How much text past the cut is scrubbed first. Scrubbing may shrink what comes before the cut
 * (a 3 KB key becomes one marker), so when too little is left to fill the cut, twice as much is
 * scrubbed, and so on: long text costs what its cut needs, not its whole length.
 */
export const SCAN_MARGIN_CHARS = 4096;

/**
 * Scrubs credential shapes from one string, and cuts what is left to `MAX_STRING_CHARS`, as
 * events carry it. See {@link truncateRedacted}.
 */
export function redactString(text: string): string {
  return truncateRedacted(text, MAX_STRING_CHARS);
}

/**
 * Scrubs credential shapes from `text`, then cuts it to `maxChars` (an ellipsis marks the cut).
 * Redaction comes first, so a secret that straddles the cut is replaced whole and leaves no
 * fragment; the cut never splits the `[REDACTED]` marker. `Infinity` keeps the whole text.
 *
 * @example
 * ```ts
 * truncateRedacted(`${"x".repeat(290)}Signature=${sig}`, 300); // "xxx...Signature=[REDACTED]"
 * ```
 */
export function truncateRedacted(text: string, maxChars: number): string {
  const limit = maxChars >= 0 ? Math.floor(maxChars) : 0;
  let end = limit + SCAN_MARGIN_CHARS;
  for (;;) {
    if (end >= text.length) return clip(scrub(text), limit);
    // Cut at a token boundary: a secret across `end` is left out whole, never half-scrubbed.
    const scrubbed = scrub(cutAt(text, end));
    if (scrubbed.length > limit) return clip(scrubbed, limit);
    end *= 2;
  }
}

function scrub(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  out = out.replace(TOKEN_RUN, scrubRun);
  for (const pattern of PREFIXED_PATTERNS) out = out.replace(pattern, REDACTED);
  return out.replace(JWT_TAIL, REDACTED).replace(ADJACENT_MARKERS, REDACTED);
}

function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  // Never leave half a marker: "[REDAC…" would read as if the text itself were cut there.
  const marker = text.lastIndexOf(REDACTED, end);
  if (marker >= 0 && marker < end && marker + REDACTED.length > end) end = marker;
  return `${text.slice(0, end)}…`;
}

/**
 * Characters a credential is made of: base64, base64url, hex, JWT dots and percent-escapes.
 * Nothing recognises a few of them on their own, so a cut never leaves a run of them behind.
 */
function isTokenChar(code: number): boolean {
  return (
    charClass(code) >= 0 ||
    code === 43 || // +
    code === 47 || // /
    code === 61 || // =
    code === 37 || // %
    code === 95 || // _
    code === 45 || // -
    code === 46 || // .
    code === 126 // ~
  );
}

/**
 * The first `end` code units of `text`, less the start of a token the cut goes through: a secret
 * straddling a length limit must not leave a prefix too short for any pattern to recognise.
 */
export function cutAt(text: string, end: number): string {
  if (end >= text.length) return text;
  if (end <= 0) return "";
  let start = end;
  if (isTokenChar(text.charCodeAt(end))) {
    while (start > 0 && isTokenChar(text.charCodeAt(start - 1))) start--;
  }
  return text.slice(0, start);
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
