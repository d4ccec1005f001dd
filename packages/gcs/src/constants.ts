/**
 * Defaults and protocol constants of `@skewguard/gcs`, in one place.
 */

/** Where gtoken 7 (google-auth-library 9) posts every grant, whatever the key file says. */
export const GOOGLE_TOKEN_URL = "https://www.googleapis.com/oauth2/v4/token";

/** The JSON and XML API of the default universe. */
export const DEFAULT_API_ENDPOINT = "https://storage.googleapis.com";

/** Google refuses grant JWTs that live longer than an hour; skewguard asks for exactly that. */
export const JWT_LIFETIME_SECONDS = 3600;

/** `grant_type` of a service-account token grant (RFC 7523). */
export const JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** `action` of `file.getSignedUrl` to the HTTP method the URL allows. */
export const ACTION_METHODS: Readonly<Record<string, string>> = {
  read: "GET",
  write: "PUT",
  delete: "DELETE",
  resumable: "POST",
};

/** The library's own error messages, kept word for word so callers' checks keep working. */
export const SIGNED_URL_MESSAGES = {
  expiresInvalid: "The expiration date provided was invalid.",
  expiresPast: "An expiration date cannot be in the past.",
  accessibleInvalid: "The accessible at date provided was invalid.",
  expiresBeforeAccessible: "An expiration date cannot be before accessible date.",
  tooLong: "Max allowed expiration is seven days (604800 seconds).",
  noClientEmail: "Cannot sign data without `client_email`.",
} as const;

export const GCS_DEFAULTS = {
  /** See `GcsSkewOptions.probe`. */
  probe: true,
  /** See `GcsSkewOptions.probeTimeoutMs`. */
  probeTimeoutMs: 5_000,
  /** Error bodies are read up to this many characters; OAuth and XML errors are far smaller. */
  errorBodyChars: 16 * 1024,
  /** Signed URLs remembered for `diagnoseSignedUrlResponse`. */
  rememberedSignedUrls: 256,
} as const;
