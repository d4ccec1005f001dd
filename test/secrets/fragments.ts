/**
 * What is left of a secret in a text: runs of `FRAGMENT_CHARS` or more of its characters that
 * the text contains. A cut secret leaves its start, and a start too short for a pattern is
 * exactly what redaction-after-truncation let through; looking for the whole secret would miss
 * it. Windows of 8 characters every 5: any run of 12 or more holds one of them whole, so the
 * 10,000-case fuzz suites can afford the search.
 */
export const FRAGMENT_CHARS = 12;
const WINDOW = 8;
const STRIDE = FRAGMENT_CHARS - WINDOW + 1;

export function fragmentsOf(secret: string, text: string): string[] {
  if (secret.length < FRAGMENT_CHARS) return text.includes(secret) ? [secret] : [];
  const found: string[] = [];
  for (let at = 0; at + WINDOW <= secret.length; at += STRIDE) {
    const piece = secret.slice(at, at + WINDOW);
    // A window of 8 may occur by chance; a fragment is 12 in a row.
    if (text.includes(piece) && longestRunAround(secret, at, text) >= FRAGMENT_CHARS) {
      found.push(piece);
    }
  }
  return found;
}

/** The longest run of `secret` in `text` through the window of `secret` at `at`. */
function longestRunAround(secret: string, at: number, text: string): number {
  const piece = secret.slice(at, at + WINDOW);
  let best = 0;
  for (let from = text.indexOf(piece); from >= 0; from = text.indexOf(piece, from + 1)) {
    let left = 0;
    while (at - left > 0 && from - left > 0 && secret[at - left - 1] === text[from - left - 1]) {
      left++;
    }
    let right = WINDOW;
    while (at + right < secret.length && secret[at + right] === text[from + right]) right++;
    best = Math.max(best, left + right);
  }
  return best;
}
