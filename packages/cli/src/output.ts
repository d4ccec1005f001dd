import { REDACTED, truncateRedacted } from "@skewguard/diagnosis";
import pc from "picocolors";
import type { CliIo, OutputStream } from "./io.js";

/**
 * Every byte the command prints goes through here: secrets the command saw (a URL's signature,
 * a session token, a signature echoed in an error body) are replaced wherever they appear, and
 * the core's credential-shape scrubber runs on top, so no output path can leak one.
 */
/** picocolors' formatters; plain identity functions when colour is off. */
export type Colors = ReturnType<typeof pc.createColors>;

export interface Printer {
  readonly colors: Colors;
  /** One line of the report, on stdout. */
  line(text?: string): void;
  /** The machine-readable report, on stdout. */
  json(value: unknown): void;
  /** A message for the person, on stderr. */
  error(text: string): void;
  /** Values never to print, whatever shape they are in. */
  addSecret(value: string | undefined): void;
  readonly progress: Progress;
}

/** A one-line status on stderr while requests are in flight; silent unless stderr is a terminal. */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export interface PrinterOptions {
  /** `false` from `--no-color`. */
  color: boolean;
}

export function createPrinter(io: CliIo, options: PrinterOptions): Printer {
  const secrets = new Set<string>();
  const scrub = (text: string) => scrubText(text, secrets);
  const colours = wantsColor(io.stdout, io.env, options.color);
  const write = (stream: OutputStream, text: string) =>
    stream.write(terminalSafe(scrub(text), colours));
  return {
    colors: pc.createColors(colours),
    line: (text = "") => write(io.stdout, `${text}\n`),
    json: (value) => io.stdout.write(`${jsonSafe(scrub(JSON.stringify(value, null, 2)))}\n`),
    error: (text) => write(io.stderr, `${text}\n`),
    addSecret(value) {
      for (const form of secretForms(value)) secrets.add(form);
    },
    progress: createProgress(io.stderr, io.stderr.isTTY === true),
  };
}

/** NO_COLOR (https://no-color.org) and `--no-color` win; FORCE_COLOR forces; else only on a terminal. */
export function wantsColor(
  stream: OutputStream,
  env: Readonly<Record<string, string | undefined>>,
  flag: boolean,
): boolean {
  if (!flag) return false;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return stream.isTTY === true;
}

/** A secret as it may appear: raw, percent-encoded (inside a URL) and form-encoded. */
function secretForms(value: string | undefined): string[] {
  // Short values would match innocent text; no real signature or token is this short.
  if (value === undefined || value.length < 8) return [];
  const encoded = encodeURIComponent(value);
  return [value, encoded, encoded.replaceAll("%20", "+")];
}

function scrubText(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, REDACTED);
  // The whole text: an output is not an event string, and a cut would break its JSON.
  return truncateRedacted(out, Number.POSITIVE_INFINITY);
}

/**
 * Characters a terminal acts on rather than shows: C0 controls (tab and newline aside), DEL,
 * C1 controls (0x9B is CSI to an 8-bit terminal), and the bidirectional overrides and isolates
 * that reorder what is shown (Trojan Source). An error body or a URL is hostile input: what it
 * holds is shown, never obeyed.
 */
const CONTROLS =
  "\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";
const UNSAFE = new RegExp(`[${CONTROLS}]`, "g");
/** The same, but a colour (SGR: `ESC [ ... m`) is matched whole, to be let through. */
const UNSAFE_BUT_COLOURS = new RegExp(`(\\x1b\\[[0-9;]*m)|[${CONTROLS}]`, "g");

/** `\x1b`, `\x9b`, `\u202e`: visible, unambiguous, inert. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * A value from outside (an error body, a URL, a server's header) made fit for one line of
 * human output: line breaks shown as ⏎ (multi-line values would break the columns, and a
 * forged line could pass for the command's own), tabs as spaces, every other control
 * character and escape sequence shown, not obeyed.
 */
export function printable(text: string): string {
  return text
    .replace(/[^\S\n]*(?:\r\n|\n)\s*/g, " ⏎ ")
    .replaceAll("\t", " ")
    .replace(UNSAFE, visible);
}

/** `printable` on every string in a value (facts, a diagnosis, a measurement), a copy. */
export function printableDeep<T>(value: T): T {
  if (typeof value === "string") return printable(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => printableDeep(item)) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = printableDeep(item);
  return out as T;
}

/**
 * The last guard on human output, whatever path a value took to it: newlines and tabs pass,
 * and colours (SGR, `ESC [ ... m`) when the command colours its output; any other control
 * character is shown instead. Values from outside are made `printable` before this.
 */
export function terminalSafe(text: string, colours: boolean): string {
  if (!colours) return text.replace(UNSAFE, visible);
  return text.replace(
    UNSAFE_BUT_COLOURS,
    (match, sgr: string | undefined) => sgr ?? visible(match),
  );
}

/**
 * JSON output as a terminal shows it: `JSON.stringify` escapes C0 controls but writes C1 and
 * bidirectional controls raw; as `\uXXXX` escapes they mean the same to a JSON reader.
 */
function jsonSafe(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function createProgress(stream: OutputStream, enabled: boolean): Progress {
  let frame = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled) return;
      shown = true;
      frame = (frame + 1) % SPINNER.length;
      // \r and "erase line" redraw in place; nothing is left behind when done() clears it.
      stream.write(`\r\x1b[2K${SPINNER[frame]} ${text}`);
    },
    done() {
      if (enabled && shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/**
 * `text` with the user info of a URL-like start removed (`https://user:password@host` gives
 * `https://[REDACTED]@host`), for quoting text that is no URL: everything before the last `@`
 * that precedes any `?` or `#` goes, as a password may hold `/` and a parser that failed cannot
 * say where the authority ends.
 */
export function withoutUserInfo(text: string): string {
  const end = text.search(/[?#]/);
  const head = end < 0 ? text : text.slice(0, end);
  const at = head.lastIndexOf("@");
  if (at < 0) return text;
  const scheme = /^\s*[a-z][a-z\d+.-]*:[\\/]+/i.exec(head)?.[0] ?? "";
  return `${scheme}${REDACTED}${text.slice(at)}`;
}

/** Input the command could not read, quoted in its message: no credentials, 60 characters. */
export function quoted(text: string): string {
  return JSON.stringify(truncateRedacted(withoutUserInfo(text), 60));
}
