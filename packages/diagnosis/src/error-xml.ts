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
  const document = readXmlDocument(body);
  const error = isRecord(document) ? document["Error"] : undefined;
  return isRecord(error) ? textChildren(error) : undefined;
}

/**
 * The whole document, parsed as above (capped, validated, no entity expansion), or undefined
 * when the body is not one complete, well-formed XML document. Never throws.
 */
export function readXmlDocument(body: string): unknown {
  if (typeof body !== "string") return undefined;
  const text = stripBom(readCapped(body)).trimStart();
  if (!text.startsWith("<")) return undefined;
  try {
    // `true` validates well-formedness first: a truncated body must not yield a partial read.
    return parser.parse(text, true);
  } catch {
    return undefined;
  }
}

/** The text children of an element (first occurrence wins). */
export function textChildren(element: Record<string, unknown>): Map<string, string> {
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
