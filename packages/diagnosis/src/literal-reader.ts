/**
 * Reads the object literals programs print when they print an error: JSON, Node's
 * `util.inspect` (`{ code: 'X', time: 2026-12-07T10:58:05.612Z, '$metadata': { ... } }`, with
 * `'a' +\n 'b'` concatenations, `ClassName {` prefixes, `[Object]` and `<ref *1>`), Python's
 * repr (`{'error': 'invalid_grant', 'data': b'...' b'...'}`, tuples) and Elixir's tuples
 * (`{"Date", "Mon, ..."}`). No library reads the last three (JSON parsers refuse them), so
 * this is a small tolerant reader: it never throws, gives up on what it cannot read by
 * skipping to the matching bracket, and is bounded in depth and in the input it looks at.
 */

export type Literal = string | number | boolean | null | undefined | LiteralObject | Literal[];
export interface LiteralObject {
  [key: string]: Literal;
}

const MAX_DEPTH = 24;
/** Longer literals are not error printouts. */
const MAX_LITERAL_CHARS = 128 * 1024;

interface Cursor {
  text: string;
  pos: number;
  end: number;
}

/** The value that starts at `start` (after whitespace), and where it ends; undefined when none does. */
export function readLiteral(text: string, start = 0): { value: Literal; end: number } | undefined {
  const cursor: Cursor = {
    text,
    pos: start,
    end: Math.min(text.length, start + MAX_LITERAL_CHARS),
  };
  try {
    const value = readValue(cursor, 0);
    return { value, end: cursor.pos };
  } catch {
    return undefined;
  }
}

/**
 * Every object literal in `text` that reads with at least one key, outermost first, looking at
 * the opening braces in order (at most `limit` of them). Nested objects are not returned again.
 */
export function findObjectLiterals(text: string, limit = 40): LiteralObject[] {
  const found: LiteralObject[] = [];
  let from = 0;
  let tries = 0;
  while (tries < limit) {
    const open = text.indexOf("{", from);
    if (open < 0) break;
    tries++;
    const read = readLiteral(text, open);
    if (read && isObject(read.value) && Object.keys(read.value).length > 0) {
      found.push(read.value);
      from = read.end;
    } else {
      from = open + 1;
    }
  }
  return found;
}

export function isObject(value: Literal): value is LiteralObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Unreadable extends Error {}
/** Nesting past `MAX_DEPTH`: not a printout; give up on the whole literal, not just this level. */
class TooDeep extends Error {}

function fail(): never {
  throw new Unreadable();
}

function skipSpace(c: Cursor): void {
  while (c.pos < c.end) {
    const ch = c.text[c.pos]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") c.pos++;
    else if (c.text.startsWith("<ref *", c.pos)) {
      const close = c.text.indexOf(">", c.pos);
      if (close < 0) fail();
      c.pos = close + 1;
    } else break;
  }
}

function peek(c: Cursor): string {
  return c.pos < c.end ? c.text[c.pos]! : "";
}

function readValue(c: Cursor, depth: number): Literal {
  if (depth > MAX_DEPTH) throw new TooDeep();
  skipSpace(c);
  const ch = peek(c);
  if (ch === "{") return readObject(c, depth);
  if (ch === "[") return readArray(c, depth, "]");
  if (ch === "(") return readArray(c, depth, ")");
  if (isQuote(ch) || (/[bruBRU]/.test(ch) && isQuote(c.text[c.pos + 1] ?? ""))) {
    return readStrings(c);
  }
  return readWord(c, depth);
}

function isQuote(ch: string): boolean {
  return ch === "'" || ch === '"' || ch === "`";
}

/** One string, or several joined: `'a' + 'b'` (util.inspect) and `b'a' b'b'` (Python). */
function readStrings(c: Cursor): string {
  let out = readString(c);
  for (;;) {
    const save = c.pos;
    skipSpace(c);
    if (peek(c) === "+") {
      c.pos++;
      skipSpace(c);
    }
    const ch = peek(c);
    if (isQuote(ch) || (/[bruBRU]/.test(ch) && isQuote(c.text[c.pos + 1] ?? ""))) {
      out += readString(c);
    } else {
      c.pos = save;
      return out;
    }
  }
}

function readString(c: Cursor): string {
  let raw = false;
  while (/[bruBRU]/.test(peek(c))) {
    if (/[rR]/.test(peek(c))) raw = true;
    c.pos++;
  }
  const quote = peek(c);
  c.pos++;
  let out = "";
  while (c.pos < c.end) {
    const ch = c.text[c.pos]!;
    if (ch === quote) {
      c.pos++;
      return out;
    }
    if (ch === "\\" && !raw) {
      const next = c.text[c.pos + 1] ?? "";
      c.pos += 2;
      out += escaped(next, c);
      continue;
    }
    out += ch;
    c.pos++;
  }
  return fail();
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

function escaped(next: string, c: Cursor): string {
  const simple = SIMPLE_ESCAPES[next];
  if (simple !== undefined) return simple;
  if (next === "x" || next === "u") {
    const width = next === "x" ? 2 : 4;
    const hex = c.text.slice(c.pos, c.pos + width);
    if (new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
      c.pos += width;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
  }
  if (next === "\n") return "";
  return next;
}

function readArray(c: Cursor, depth: number, close: "]" | ")"): Literal[] {
  const start = c.pos;
  c.pos++;
  const items: Literal[] = [];
  try {
    for (;;) {
      skipSpace(c);
      if (peek(c) === close) {
        c.pos++;
        return items;
      }
      items.push(readValue(c, depth + 1));
      skipSpace(c);
      if (peek(c) === ",") c.pos++;
      else if (peek(c) !== close) fail();
    }
  } catch (error) {
    if (error instanceof TooDeep) throw error;
    // `[Object]`, `[Getter]`, `[Function: f]`: not data. Skip to the matching bracket.
    c.pos = matchingClose(c.text, start, c.end);
    return items;
  }
}

function readObject(c: Cursor, depth: number): Literal {
  const start = c.pos;
  c.pos++;
  const out: LiteralObject = {};
  const tuple: Literal[] = [];
  for (;;) {
    skipSpace(c);
    if (peek(c) === "}") {
      c.pos++;
      return tuple.length > 0 ? tuple : out;
    }
    if (peek(c) === "[" && c.text.startsWith("[Symbol(", c.pos)) {
      c.pos = matchingClose(c.text, c.pos, c.end);
      skipSpace(c);
      if (peek(c) !== ":") fail();
      c.pos++;
      readValue(c, depth + 1);
    } else {
      const key = readKey(c, depth);
      skipSpace(c);
      if (peek(c) === ":" && tuple.length === 0) {
        c.pos++;
        out[String(key)] = readValue(c, depth + 1);
      } else if ((peek(c) === "," || peek(c) === "}") && Object.keys(out).length === 0) {
        // An Elixir or Erlang tuple: `{"Date", "Mon, ..."}`.
        tuple.push(key);
      } else {
        c.pos = start;
        return fail();
      }
    }
    skipSpace(c);
    if (peek(c) === ",") c.pos++;
    else if (peek(c) !== "}") fail();
  }
}

function readKey(c: Cursor, depth: number): Literal {
  const ch = peek(c);
  if (isQuote(ch)) return readStrings(c);
  const match = /^[A-Za-z_$][\w$-]*/.exec(c.text.slice(c.pos, c.pos + 256));
  if (!match) return readValue(c, depth + 1);
  c.pos += match[0].length;
  return match[0];
}

const WORDS: Readonly<Record<string, Literal>> = {
  true: true,
  false: false,
  True: true,
  False: false,
  null: null,
  None: null,
  nil: null,
  undefined: undefined,
};

/**
 * A bare value: a number, `true`/`None`/`undefined`, an ISO date as util.inspect prints one,
 * or a class-prefixed object (`HttpResponse {`, `Map(1) {`). Anything else reads as its text.
 */
function readWord(c: Cursor, depth: number): Literal {
  const rest = c.text.slice(c.pos, Math.min(c.end, c.pos + 512));
  const prefixed = /^[A-Za-z_$][\w$.]*(?:\(\d+\))?\s*(?=\{)/.exec(rest);
  if (prefixed) {
    c.pos += prefixed[0].length;
    return readObject(c, depth);
  }
  const match = /^[^,{}[\]()\n]+/.exec(rest);
  if (!match) return fail();
  const word = match[0].trimEnd();
  c.pos += match[0].length;
  if (word in WORDS) return WORDS[word];
  if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(word)) return Number(word);
  return word;
}

/** The position after the bracket that closes the one at `open`, skipping quoted text. */
function matchingClose(text: string, open: number, end: number): number {
  let depth = 0;
  let quote = "";
  for (let i = open; i < end; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "{" || ch === "[" || ch === "(") depth++;
    else if (ch === "}" || ch === "]" || ch === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return fail();
}
