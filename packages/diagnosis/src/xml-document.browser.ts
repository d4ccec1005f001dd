import { escapeUndecodedReferences } from "./xml-references.js";

/**
 * Parses an XML document in a browser with the browser's own DOMParser, into the shape the
 * Node reader (`xml-document.ts`, fast-xml-parser) gives, so that `error-xml.ts` reads both
 * the same way; `test/browser/error-xml.test.ts` checks that they agree, in Chromium. Picked
 * by the package's `browser` export condition: a page does not carry an XML parser of its own.
 *
 * Where there is no DOMParser (a Web Worker) no body is read: the AWS SDK still copies the
 * error body's fields onto its errors, and the `Date` header still tells the server's clock.
 */

/** Deeper nesting than the Node reader allows (its `maxNestedTags`) is refused here too. */
const MAX_DEPTH = 17;

const XHTML = "http://www.w3.org/1999/xhtml";

// The slice of the DOM used here, typed locally: the packages are compiled without the DOM lib.
interface DomElement {
  readonly localName: string;
  readonly children: ArrayLike<DomElement>;
  readonly textContent: string | null;
}

interface DomDocument {
  readonly documentElement: DomElement;
  getElementsByTagNameNS(namespace: string, name: string): { readonly length: number };
}

type DomParserConstructor = new () => {
  parseFromString(text: string, type: string): DomDocument;
};

/**
 * The document as nested records: an element with child elements is a record of them (a name
 * met twice holds an array), any other element is its text; names lose their namespace prefix
 * and attributes are dropped. Throws when the text is not well-formed.
 */
export function parseXmlDocument(text: string): unknown {
  const Parser = (globalThis as { DOMParser?: DomParserConstructor }).DOMParser;
  if (Parser === undefined) throw new Error("no DOMParser here");
  const document = new Parser().parseFromString(prepare(text), "application/xml");
  // Browsers report a well-formedness error as a <parsererror> element, not an exception.
  if (document.getElementsByTagNameNS(XHTML, "parsererror").length > 0) {
    throw new Error("not well-formed");
  }
  const root = document.documentElement;
  return { [nameOf(root)]: readElement(root, 1) };
}

/**
 * Drops the DOCTYPE (its entities are never expanded, as on Node) and escapes the references
 * the Node reader keeps as written; CDATA sections are left exactly as they are.
 */
function prepare(text: string): string {
  // fast-xml-parser refuses a DOCTYPE that declares an external entity: so does this reader.
  const doctype = DOCTYPE.exec(text)?.[0] ?? "";
  if (/<!ENTITY[^>]*\s(?:SYSTEM|PUBLIC)\s/i.test(doctype)) throw new Error("external entity");
  const withoutDoctype = text.replace(DOCTYPE, "$1");
  return withoutDoctype
    .split(CDATA)
    .map((part) => (part.startsWith("<![CDATA[") ? part : escapeUndecodedReferences(part)))
    .join("");
}

/** `<!DOCTYPE name>` or `<!DOCTYPE name [ internal subset ]>`, before the root element. */
const DOCTYPE =
  /^(\s*(?:<\?[\s\S]*?\?>\s*)?(?:<!--[\s\S]*?-->\s*)*)<!DOCTYPE[^[>]*(?:\[[\s\S]*?\]\s*)?>/;

/** Splits the text around CDATA sections, keeping them (the capture group). */
const CDATA = /(<!\[CDATA\[[\s\S]*?\]\]>)/;

/** Names fast-xml-parser refuses outright, and names it prefixes with `__`, as the Node reader does. */
const REFUSED_NAMES = new Set(["__proto__", "constructor", "prototype"]);
const PREFIXED_NAMES = new Set([
  "hasOwnProperty",
  "toString",
  "valueOf",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

function nameOf(element: DomElement): string {
  const name = element.localName;
  if (REFUSED_NAMES.has(name)) throw new Error(`element named ${name}`);
  return PREFIXED_NAMES.has(name) ? `__${name}` : name;
}

function readElement(element: DomElement, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error("nested too deep");
  const children = element.children;
  if (children.length === 0) return element.textContent ?? "";
  const record: Record<string, unknown> = {};
  for (const child of Array.from(children)) {
    const name = nameOf(child);
    const value = readElement(child, depth + 1);
    const seen = record[name];
    if (seen === undefined) record[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else record[name] = [seen, value];
  }
  return record;
}
