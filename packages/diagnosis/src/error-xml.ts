import { XMLParser } from "fast-xml-parser";
import { readCapped } from "./error-body.js";

/**
 * Reads the `<Error>` document S3, GCS's XML API and Azure Storage all answer with, into its
 * text children. Safe by construction: no DTD entity is ever expanded, values stay strings,
 * and anything not a well-formed document yields undefined rather than half a document.
 */

const XML_ENTITIES: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

// One pass over the text: a decoded "&" never starts another reference, so nothing expands.
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;

/**
 * Decodes the five predefined entities and character references (how XML carries a CR in a
 * StringToSign) and nothing else: DOCTYPE entities are dropped, so no "billion laughs" and no
 * external fetch, whatever the body declares.
 */
export function decodeXmlReferences(text: string): string {
  return text.replace(REFERENCE, (whole, name?: string, dec?: string, hex?: string) => {
    if (name !== undefined) return XML_ENTITIES[name] ?? whole;
    const codePoint = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? "", 16);
    return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : whole;
  });
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const parser = new XMLParser({
  ignoreAttributes: true,
  // Codes like "403" and key ids like "1e5" must not turn into numbers.
  parseTagValue: false,
  // StringToSign and CanonicalRequest are compared byte for byte: keep their whitespace.
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  // An error document is two levels deep; deep nesting is an attack, not an error.
  maxNestedTags: 16,
  processEntities: true,
  entityDecoder: {
    setExternalEntities: () => {},
    // DOCTYPE entities are deliberately ignored (left as literal text).
    addInputEntities: () => {},
    reset: () => {},
    decode: decodeXmlReferences,
    setXmlVersion: () => {},
  },
});

/**
 * The text children of a root `<Error>` element (first occurrence wins), or undefined when the
 * body is not a complete, well-formed error document. Never throws.
 */
export function readErrorElement(body: string): ReadonlyMap<string, string> | undefined {
  if (typeof body !== "string") return undefined;
  const text = stripBom(readCapped(body)).trimStart();
  if (!text.startsWith("<")) return undefined;
  let document: unknown;
  try {
    // `true` validates well-formedness first: a truncated body must not yield a partial read.
    document = parser.parse(text, true);
  } catch {
    return undefined;
  }
  return isRecord(document) ? errorChildren(document) : undefined;
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
