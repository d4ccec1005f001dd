/**
 * XML references as skewguard reads them, on every platform: the five predefined entities and
 * character references are decoded, anything else stays as written. Shared by the Node reader
 * (which decodes with it) and the browser reader (which escapes what it would leave alone, so
 * the browser's parser leaves it alone too).
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
    const decoded = decodeReference(name, dec, hex);
    return decoded ?? whole;
  });
}

function decodeReference(
  name: string | undefined,
  dec: string | undefined,
  hex: string | undefined,
): string | undefined {
  if (name !== undefined) return XML_ENTITIES[name];
  const codePoint = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? "", 16);
  return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : undefined;
}

/**
 * Every reference form the well-formedness check lets through (a name or digits, then `;`),
 * or a lone `&`, which it refuses.
 */
const ANY_REFERENCE =
  /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));|&(?:#\d*;|#x[\da-fA-F]*;|\w{1,20};)?/g;

/**
 * Escapes the references `decodeXmlReferences` would leave as written (`&nbsp;`, `&#0;`, a
 * DOCTYPE's `&name;`), so that a parser that expands or refuses them (the browser's) reads
 * them as the literal text skewguard's Node reader keeps. A lone `&` stays: both refuse it.
 */
export function escapeUndecodedReferences(text: string): string {
  return text.replace(ANY_REFERENCE, (whole, name?: string, dec?: string, hex?: string) => {
    if (whole === "&") return whole;
    return decodeReference(name, dec, hex) === undefined ? `&amp;${whole.slice(1)}` : whole;
  });
}

/** A character XML 1.0 allows in a document. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}
