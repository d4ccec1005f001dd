import { readCapped } from "./error-body.js";
import { parseXmlDocument } from "./xml-document.js";

/**
 * Reads the `<Error>` document S3, GCS's XML API and Azure Storage all answer with, into its
 * text children. Safe by construction: no DTD entity is ever expanded, values stay strings,
 * and anything not a well-formed document yields undefined rather than half a document.
 *
 * The parsing itself is the platform's (`xml-document.ts`: fast-xml-parser on Node,
 * `xml-document.browser.ts`: the browser's own DOMParser); what is read from the document,
 * and what counts as well-formed beyond the parser's own checks, is decided here, once.
 */

/**
 * The text children of a root `<Error>` element (first occurrence wins), or undefined when the
 * body is not a complete, well-formed error document. Never throws.
 */
export function readErrorElement(body: string): ReadonlyMap<string, string> | undefined {
  if (typeof body !== "string") return undefined;
  const text = stripBom(readCapped(body)).trimStart();
  if (!text.startsWith("<") || !wellFormedAsText(text)) return undefined;
  let document: unknown;
  try {
    document = parseXmlDocument(text);
  } catch {
    return undefined;
  }
  // One root element: anything after it is not part of an error document.
  if (!isRecord(document) || Object.keys(document).length !== 1) return undefined;
  return errorChildren(document);
}

/** A character XML forbids anywhere in a document: NUL, most controls, lone surrogates. */
const FORBIDDEN_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`, each part as XML allows it.
 * (XML's white space is these four characters; JavaScript's `\s` has more, U+FEFF among them.)
 */
const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.\d+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][\w.-]*\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/;

const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const COMMENT = /<!--[\s\S]*?-->/g;

/** Element names and processing-instruction targets, after `<`, `</` or `<?`. */
const MARKUP_NAME = /<\/?\??([^ \t\r\n/>?!]*)/g;

/** The names error documents use: ASCII. (The two parsers disagree on the rest of Unicode.) */
const ASCII_NAME = /^[A-Za-z_][\w.:-]*$/;

/**
 * What XML requires of a document that one parser checks and the other lets pass, checked
 * here so that both platforms refuse the same bodies: no forbidden character, a well-formed
 * declaration, ASCII names in markup, no `]]>` outside a CDATA section.
 */
function wellFormedAsText(text: string): boolean {
  if (FORBIDDEN_CHAR.test(text)) return false;
  if (/^<\?xml(?![\w-])/i.test(text) && !XML_DECLARATION.test(text)) return false;
  const markup = text.replace(CDATA_SECTION, "").replace(COMMENT, "");
  if (markup.includes("]]>")) return false;
  for (const [, name] of markup.matchAll(MARKUP_NAME)) {
    if (!ASCII_NAME.test(name ?? "")) return false;
  }
  return true;
}

/**
 * `<Error>` at the root (S3, GCS, Azure), or inside the envelopes other AWS protocols wrap it
 * in: `<ErrorResponse><Error>` (awsQuery: STS, SQS, IAM) and `<Response><Errors><Error>` (EC2),
 * whose request id sits beside the error.
 */
function errorChildren(document: Record<string, unknown>): Map<string, string> | undefined {
  const root = document["Error"];
  if (isRecord(root)) return textChildren(root);
  for (const [envelope, path] of ENVELOPES) {
    const outer = document[envelope];
    if (!isRecord(outer)) continue;
    let error: unknown = outer;
    for (const name of path) error = isRecord(error) ? first(error[name]) : undefined;
    if (!isRecord(error)) continue;
    const children = textChildren(error);
    for (const [name, value] of textChildren(outer)) {
      const key = name === "RequestID" ? "RequestId" : name;
      if (!children.has(key)) children.set(key, value);
    }
    return children;
  }
  return undefined;
}

const ENVELOPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["ErrorResponse", ["Error"]],
  ["Response", ["Errors", "Error"]],
];

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function textChildren(element: Record<string, unknown>): Map<string, string> {
  const children = new Map<string, string>();
  for (const [name, value] of Object.entries(element)) {
    const text = Array.isArray(value) ? value.find((v) => typeof v === "string") : value;
    // "#text" is the whitespace between children, not a child.
    if (typeof text === "string" && name !== "#text") children.set(name, text);
  }
  return children;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
