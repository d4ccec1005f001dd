import type { Cause } from "./types.js";

/** What to do about each cause, and what people try in vain (design section 5). */
export interface CatalogueEntry {
  fixes: readonly string[];
  deadEnds: readonly string[];
}

const CLOCK_FIXES = [
  "Resynchronise the clock: `sudo timedatectl set-ntp true` or `sudo chronyc makestep` (Linux), `w32tm /resync` (Windows), `sudo sntp -sS time.apple.com` (macOS)",
  "In a container or VM, fix the host's clock (containers share it); after suspend/resume, restart the time service",
  "Meanwhile skewguard signs on the server's clock: keep its plugin/wrapper installed",
] as const;

const CLOCK_DEAD_ENDS = [
  "Regenerating or rotating access keys: the key was fine",
  "Switching the signature version or the SDK: every signature carries the clock",
] as const;

export const CATALOGUE: Readonly<Record<Cause, CatalogueEntry>> = {
  "clock-behind": { fixes: CLOCK_FIXES, deadEnds: CLOCK_DEAD_ENDS },
  "clock-ahead": { fixes: CLOCK_FIXES, deadEnds: CLOCK_DEAD_ENDS },
  "presigned-expired": {
    fixes: [
      "Make the URL with skewguard's signing helper (getSignedUrl / generateBlobSasUrl), which signs on the server's clock",
      "Make URLs close to when they are used, with an expiry that covers the delay",
    ],
    deadEnds: [
      "Re-signing with the same skewed clock",
      "Lengthening the expiry to hide a clock error",
    ],
  },
  "presigned-not-yet-valid": {
    fixes: [
      "Make the URL with skewguard's signing helper, which signs on the server's clock",
      "Do not set a start time in the future, or start it a few minutes in the past",
    ],
    deadEnds: ["Re-signing with the same skewed clock"],
  },
  "secret-key-mismatch": {
    fixes: [
      "Use the key of this account and environment (staging vs production): the AWS secret of this access key id, the Azure account key or SAS, the GCS service-account key file; check where the credentials are read from (env vars, profile, instance role, key file)",
      "Check for whitespace or a truncated secret in the configuration",
    ],
    deadEnds: [
      "Retrying: the same key signs the same wrong signature",
      "Fixing the clock: it was already right",
    ],
  },
  "credential-scope-mismatch": {
    fixes: [
      "Sign for the bucket's region and the right service (set the client's region to the bucket's)",
    ],
    deadEnds: ["Regenerating keys"],
  },
  "algorithm-mismatch": {
    fixes: ["Use the same signature algorithm on both sides (AWS4-HMAC-SHA256 for S3)"],
    deadEnds: ["Switching the algorithm on one side only"],
  },
  "request-changed": {
    fixes: [
      "Find the proxy, load balancer or code that rewrites the request after signing (header values, path or query encoding, body)",
      "Sign the request exactly as it is sent",
    ],
    deadEnds: ["Regenerating keys", "Fixing the clock"],
  },
  "jwt-clock-skew": {
    fixes: CLOCK_FIXES,
    deadEnds: [
      "Rotating the service account key: the JWT's iat/exp were the problem, not the key",
      ...CLOCK_DEAD_ENDS.slice(1),
    ],
  },
  unknown: {
    fixes: [
      "Compare the server's string-to-sign with the client's (enable SDK debug logging)",
      "Check the credentials and the region",
    ],
    deadEnds: [],
  },
};
