import type { GetSignedUrlConfig } from "@google-cloud/storage";
import { SkewguardError } from "@skewguard/diagnosis";
import { PROBE_OPERATION, SDK_DEFAULT_SIGNING_VERSION, SIGNED_URL_MESSAGES } from "./constants.js";
import { signerEngineOf } from "./context.js";
import { endpointOf } from "./endpoints.js";
import type { GcsSkewOptions } from "./options.js";
import { rememberSignedUrl } from "./signed-url-registry.js";
import {
  type SignedUrlFile,
  type SignedUrlRequest,
  signedUrlRequest,
  v2ExtensionHeaders,
} from "./signed-url-request.js";
import { signV2Url } from "./v2-signer.js";
import { resolveV4Target, signV4Url, V4_MAX_EXPIRES_SECONDS } from "./v4-signer.js";

/** The signing half of google-auth-library's `GoogleAuth`, which `file.storage.authClient` is. */
export interface SigningAuth {
  sign(blob: string, endpoint?: string): Promise<string>;
  getCredentials(): Promise<{ client_email?: string | null | undefined }>;
}

/** A `File` of `@google-cloud/storage`, as far as signing a URL for it goes. */
export interface SignableFile extends SignedUrlFile {
  storage: SignedUrlFile["storage"] & { authClient: SigningAuth };
  getSignedUrl(config: GetSignedUrlConfig): Promise<[string]>;
}

/**
 * `file.getSignedUrl(config)` on the server's clock: a drop-in that takes the same config and
 * returns the same `[url]`. The times given (`expires`, `accessibleAt`) are read on the local
 * clock, as they were computed, and signed on the endpoint's: a URL asked to live ten minutes
 * lives ten minutes by the server's clock, also when that expiry is already past on the local
 * clock. The offset is the one learned from the client's responses; with nothing learned yet,
 * one `HEAD` to the endpoint reads it (options `probe`, `probeTimeoutMs`).
 *
 * Without `version`, it signs the version the library would (`"v2"` in
 * `@google-cloud/storage` 7 and 8). A V2 URL carries no signing time, only `Expires`, an
 * absolute time: it is moved onto the server's clock (`expires` plus the offset), so the URL
 * lives as long as asked by the server's clock there too (`accessibleAt` is only checked, as
 * V2 has no start). Times that are wrong on the local clock throw the library's own errors,
 * word for word (plain `Error`s); another `version` is handed to `file.getSignedUrl`, which
 * refuses it.
 *
 * @param options apply only when `file.storage` was not passed to `withSkewRecovery` (a wrapped
 *   client's options are used otherwise); validated either way. Defaults are the core's
 *   `RECOVERY_DEFAULTS`: `probe` true, `probeTimeoutMs` 3000.
 * @throws `SkewguardError` `SKEWGUARD_INVALID_OPTION` for an invalid option or `action`,
 *   `SKEWGUARD_UNSUPPORTED_CLIENT` for something that is not a `File`.
 *
 * @example
 * ```ts
 * const storage = withSkewRecovery(new Storage());
 * const [url] = await getSignedUrl(storage.bucket("my-bucket").file("a.txt"), {
 *   version: "v4",
 *   action: "read",
 *   expires: Date.now() + 10 * 60_000, // lives 10 minutes by the server's clock
 * });
 * ```
 */
export async function getSignedUrl(
  file: SignableFile,
  config: GetSignedUrlConfig,
  options?: GcsSkewOptions,
): Promise<[string]> {
  assertSignableFile(file);
  const recovery = signerEngineOf(file.storage, options);
  const version = config.version ?? SDK_DEFAULT_SIGNING_VERSION;
  if (version !== "v2" && version !== "v4") return file.getSignedUrl(config);
  const window = signingWindow(config, recovery.clock.now(), version);
  const request = signedUrlRequest(file, config);
  const host = endpointOf(request.verifier);
  const offsetMs =
    host === undefined
      ? 0
      : await recovery.serverOffsetMs({ url: request.verifier, host, operation: PROBE_OPERATION });
  const auth = file.storage.authClient;
  const { client_email: clientEmail } = await auth.getCredentials();
  if (!clientEmail) throw new Error(SIGNED_URL_MESSAGES.noClientEmail);
  const endpoint =
    config.signingEndpoint === undefined ? undefined : String(config.signingEndpoint);
  const sign = (stringToSign: string) => auth.sign(stringToSign, endpoint);
  if (version === "v2") {
    const expiresAtSeconds = Math.floor((window.expiresAtMs + offsetMs) / 1000);
    return [(await signV2(request, config, expiresAtSeconds, clientEmail, sign)).url];
  }
  const signed = await signV4Url({
    ...request,
    expiresInSeconds: window.lifetimeSeconds,
    timestampMs: window.startsAtMs + offsetMs,
    clientEmail,
    sign: async (stringToSign) => Buffer.from(await sign(stringToSign), "base64"),
  });
  rememberSignedUrl(signed, offsetMs);
  return [signed.url];
}

/** A V2 URL for what `request` points at, expiring at `expiresAtSeconds` (server clock). */
function signV2(
  request: SignedUrlRequest,
  config: GetSignedUrlConfig,
  expiresAtSeconds: number,
  clientEmail: string,
  sign: (stringToSign: string) => Promise<string>,
) {
  const { origin, path } = resolveV4Target(request);
  return signV2Url({
    method: request.method,
    bucket: request.bucket,
    object: request.object ?? "",
    expiresAtSeconds,
    clientEmail,
    contentMd5: config.contentMd5,
    contentType: config.contentType,
    headers: v2ExtensionHeaders(config),
    queryParams: request.queryParams,
    origin,
    path,
    sign,
  });
}

/** When the URL starts and expires (local clock, whole seconds) and how long it lives. */
export interface SigningWindow {
  startsAtMs: number;
  /** The `expires` asked for, milliseconds as given. */
  expiresAtMs: number;
  lifetimeSeconds: number;
}

/**
 * Validates the times as the library does, with its messages, against the local clock the
 * caller computed them on; they are later moved onto the server's clock. Only V4 has the
 * seven-day limit.
 */
export function signingWindow(
  config: GetSignedUrlConfig,
  localNowMs: number,
  version: "v2" | "v4" = "v4",
): SigningWindow {
  const expiresMs = dateMs(config.expires, SIGNED_URL_MESSAGES.expiresInvalid);
  if (expiresMs < localNowMs) throw new Error(SIGNED_URL_MESSAGES.expiresPast);
  const startsMs =
    config.accessibleAt === undefined
      ? localNowMs
      : dateMs(config.accessibleAt, SIGNED_URL_MESSAGES.accessibleInvalid);
  const expiresSeconds = Math.floor(expiresMs / 1000);
  const startsSeconds = Math.floor(startsMs / 1000);
  if (expiresSeconds < startsSeconds) throw new Error(SIGNED_URL_MESSAGES.expiresBeforeAccessible);
  const lifetimeSeconds = expiresSeconds - startsSeconds;
  if (version === "v4" && lifetimeSeconds > V4_MAX_EXPIRES_SECONDS) {
    throw new Error(SIGNED_URL_MESSAGES.tooLong);
  }
  return {
    startsAtMs: startsSeconds * 1000,
    expiresAtMs: expiresMs,
    // X-Goog-Expires=0 is refused by GCS; a URL expiring this very second gets the one second.
    lifetimeSeconds: Math.max(1, lifetimeSeconds),
  };
}

function dateMs(value: string | number | Date, invalid: string): number {
  const ms = new Date(value).valueOf();
  if (Number.isNaN(ms)) throw new Error(invalid);
  return ms;
}

function assertSignableFile(file: unknown): asserts file is SignableFile {
  const candidate = file as Partial<SignableFile> | null;
  if (
    typeof candidate?.getSignedUrl !== "function" ||
    typeof candidate.storage?.authClient?.sign !== "function"
  ) {
    throw new SkewguardError(
      "SKEWGUARD_UNSUPPORTED_CLIENT",
      "getSignedUrl expects a File from @google-cloud/storage 7 or 8",
    );
  }
}
