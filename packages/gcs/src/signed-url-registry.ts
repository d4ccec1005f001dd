import { REMEMBERED_SIGNED_URLS } from "./constants.js";

/** What this process signed for one URL: what a server's refusal is compared with. */
export interface RememberedSignedUrl {
  canonicalRequest: string;
  stringToSign: string;
  offsetMs: number;
}

/**
 * The last URLs `getSignedUrl` produced, oldest forgotten first. GCS's `SignatureDoesNotMatch`
 * returns its own string-to-sign and canonical request; these are the client's halves of that
 * comparison, which cannot be rebuilt from the URL alone (the signed headers' values are not in it).
 */
const remembered = new Map<string, RememberedSignedUrl>();

export function rememberSignedUrl(
  signed: { url: string; canonicalRequest: string; stringToSign: string },
  offsetMs: number,
): void {
  remembered.delete(signed.url);
  remembered.set(signed.url, {
    canonicalRequest: signed.canonicalRequest,
    stringToSign: signed.stringToSign,
    offsetMs,
  });
  for (const oldest of remembered.keys()) {
    if (remembered.size <= REMEMBERED_SIGNED_URLS) break;
    remembered.delete(oldest);
  }
}

export function recallSignedUrl(url: string): RememberedSignedUrl | undefined {
  return remembered.get(url);
}
