import { XMLParser } from "fast-xml-parser";
import { decodeXmlReferences } from "./xml-references.js";

/**
 * Parses an XML document on Node (and Bun, Deno) with fast-xml-parser. A browser bundle gets
 * `xml-document.browser.ts` instead, through the package's `browser` export condition.
 */

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
 * The document as nested records: an element with child elements is a record of them (a name
 * met twice holds an array), any other element is its text; names lose their namespace prefix
 * and attributes are dropped. Throws when the text is not well-formed: a truncated body must
 * not yield a partial read.
 */
export function parseXmlDocument(text: string): unknown {
  // `true` validates well-formedness first.
  return parser.parse(text, true);
}
