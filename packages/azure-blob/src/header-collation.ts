/**
 * The order in which SharedKey lists `x-ms-*` headers. The storage service sorts them with .NET's
 * culture-aware (en-US) comparison, and the SDK imitates it; a plain code-unit sort differs once
 * a name holds a hyphen where another holds a letter or digit (`x-ms-meta-a-b` vs `x-ms-meta-ab`),
 * and then the signature differs. The comparison has three levels:
 *
 * 1. Letters (case folded) and digits, and a few symbols, each with a primary weight; hyphens
 *    and apostrophes are ignored. A name that runs out first sorts first.
 * 2. Case: upper-case letters weigh, everything else is ignored.
 * 3. Position by position, where the names differ: an ordinary character sorts before the end of
 *    a name, which sorts before an apostrophe, which sorts before a hyphen.
 *
 * Header names are RFC 9110 tokens, so only ASCII occurs.
 */

/** Primary weights (en-US sort keys) of the ASCII characters that have one. */
const PRIMARY: Readonly<Record<string, number>> = (() => {
  const weights: Record<string, number> = {
    "!": 0x71c,
    "#": 0x71f,
    $: 0x721,
    "%": 0x723,
    "&": 0x725,
    "*": 0x72d,
    "+": 0x803,
    ".": 0x733,
    "^": 0x743,
    _: 0x744,
    "`": 0x748,
    "|": 0x74c,
    "~": 0x750,
  };
  const digitWeights = [0xd03, 0xd1a, 0xd1c, 0xd1e, 0xd20, 0xd22, 0xd24, 0xd26, 0xd28, 0xd2a];
  digitWeights.forEach((weight, digit) => {
    weights[String(digit)] = weight;
  });
  const letterWeights = [
    0xe02, 0xe09, 0xe0a, 0xe1a, 0xe21, 0xe23, 0xe25, 0xe2c, 0xe32, 0xe35, 0xe36, 0xe48, 0xe51,
    0xe70, 0xe7c, 0xe7e, 0xe89, 0xe8a, 0xe91, 0xe99, 0xe9f, 0xea2, 0xea4, 0xea6, 0xea7, 0xea9,
  ];
  letterWeights.forEach((weight, index) => {
    weights[String.fromCharCode(97 + index)] = weight;
    weights[String.fromCharCode(65 + index)] = weight;
  });
  return weights;
})();

function primaryKey(name: string): number[] {
  const key: number[] = [];
  for (const char of name) {
    const weight = PRIMARY[char];
    if (weight !== undefined) key.push(weight);
  }
  return key;
}

function caseKey(name: string): number[] {
  const key: number[] = [];
  for (const char of name) if (char >= "A" && char <= "Z") key.push(1);
  return key;
}

/** Level-3 rank of one position; `undefined` is the end of the name. */
function specialRank(char: string | undefined): number {
  if (char === undefined) return 1;
  if (char === "'") return 2;
  if (char === "-") return 3;
  return 0;
}

function compareSpecials(a: string, b: string): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = specialRank(a[i]) - specialRank(b[i]);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Levels 1 and 2 of a name as one string whose code-unit order is their order (each level
 * lexicographic, a shorter key first, level 2 deciding only when level 1 ties): the weights as
 * characters, then a separator below every weight (a key that runs out first sorts first), then
 * the case key.
 */
function sortKey(name: string): string {
  const chars = (key: number[]) => key.map((weight) => String.fromCharCode(weight)).join("");
  return `${chars(primaryKey(name))}\u0000${chars(caseKey(name))}`;
}

/** Sort keys of the names seen so far: a client sends the same few `x-ms-*` names every time. */
const sortKeys = new Map<string, string>();
const MAX_CACHED_NAMES = 512;

function cachedSortKey(name: string): string {
  let key = sortKeys.get(name);
  if (key === undefined) {
    key = sortKey(name);
    if (sortKeys.size < MAX_CACHED_NAMES) sortKeys.set(name, key);
  }
  return key;
}

/** Compares two (lower-cased) header names the way the storage service orders them. */
export function compareHeaderNames(a: string, b: string): number {
  const keyA = cachedSortKey(a);
  const keyB = cachedSortKey(b);
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return compareSpecials(a, b);
}
