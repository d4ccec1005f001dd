/**
 * What is left of a secret in a text: every run of `window` or more of its characters that the
 * text contains. A cut secret leaves a prefix, and a prefix too short for a pattern is exactly
 * what redaction-after-truncation let through; looking for the whole secret would miss it.
 * Linear in the text and the secret (a set of the text's windows), so the 10,000-case fuzz
 * suites can afford it.
 */
export const FRAGMENT_WINDOW = 12;

export function fragmentsOf(secret: string, text: string, window = FRAGMENT_WINDOW): string[] {
  if (secret.length < window) return text.includes(secret) ? [secret] : [];
  const seen = windowsOf(text, window);
  const found: string[] = [];
  for (let i = 0; i + window <= secret.length; i++) {
    const piece = secret.slice(i, i + window);
    if (seen.has(piece)) found.push(piece);
  }
  return found;
}

/** The last text's windows: several secrets are looked for in the same output. */
let last: { text: string; window: number; set: Set<string> } | undefined;

function windowsOf(text: string, window: number): Set<string> {
  if (last?.text === text && last.window === window) return last.set;
  const set = new Set<string>();
  for (let i = 0; i + window <= text.length; i++) set.add(text.slice(i, i + window));
  last = { text, window, set };
  return set;
}
