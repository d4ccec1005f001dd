/**
 * Protocol constants of `@skewguard/gcs`, in one place. The options' defaults are the core's
 * (`RECOVERY_DEFAULTS` in `@skewguard/diagnosis`).
 */

/** Where gtoken 7 (google-auth-library 9) posts every grant, whatever the key file says. */
export const GOOGLE_TOKEN_URL = "https://www.googleapis.com/oauth2/v4/token";

/** The JSON and XML API of the default universe. */
export const DEFAULT_API_ENDPOINT = "https://storage.googleapis.com";

/** Google refuses grant JWTs that live longer than an hour; skewguard asks for exactly that. */
export const JWT_LIFETIME_SECONDS = 3600;

/** `grant_type` of a service-account token grant (RFC 7523). */
export const JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Names the clock probe that precedes signing for an endpoint nothing is known of, in events. */
export const PROBE_OPERATION = "probe";

/**
 * The signing version `file.getSignedUrl` uses when the config names none: `"v2"` in
 * `@google-cloud/storage` 7 and 8 (their `DEFAULT_SIGNING_VERSION`, checked in 7.22 and 8.4).
 * The drop-in follows it, so that leaving `version` out signs what the library would.
 */
export const SDK_DEFAULT_SIGNING_VERSION = "v2";

/** `action` of `file.getSignedUrl` to the HTTP method the URL allows. */
export const ACTION_METHODS: Readonly<Record<string, string>> = {
  read: "GET",
  write: "PUT",
  delete: "DELETE",
  resumable: "POST",
};

/**
 * The library's own error messages, kept word for word (and thrown as plain `Error`s, as the
 * library throws them) so that callers' checks keep working with the drop-in.
 */
export const SIGNED_URL_MESSAGES = {
  expiresInvalid: "The expiration date provided was invalid.",
  expiresPast: "An expiration date cannot be in the past.",
  accessibleInvalid: "The accessible at date provided was invalid.",
  expiresBeforeAccessible: "An expiration date cannot be before accessible date.",
  tooLong: "Max allowed expiration is seven days (604800 seconds).",
  noClientEmail: "Cannot sign data without `client_email`.",
} as const;

/** Signed URLs remembered for `diagnoseSignedUrlResponse`; the oldest is forgotten first. */
export const REMEMBERED_SIGNED_URLS = 256;
