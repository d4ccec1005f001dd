import { REDACTED, redactString } from "@skewguard/diagnosis";
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
  const write = (stream: OutputStream, text: string) => stream.write(scrub(text));
  return {
    colors: pc.createColors(wantsColor(io.stdout, io.env, options.color)),
    line: (text = "") => write(io.stdout, `${text}\n`),
    json: (value) => write(io.stdout, `${JSON.stringify(value, null, 2)}\n`),
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
  return redactString(out);
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
