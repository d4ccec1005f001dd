import type {
  GenerateSignedPostPolicyV4Options,
  SignedPostPolicyV4Output,
} from "@google-cloud/storage";
import { SkewguardError } from "@skewguard/diagnosis";
import { DEFAULT_API_ENDPOINT, PROBE_OPERATION, SIGNED_URL_MESSAGES } from "./constants.js";
import { signerEngineOf } from "./context.js";
import { endpointOf } from "./endpoints.js";
import type { GcsSkewOptions } from "./options.js";
import type { SigningAuth } from "./signed-url.js";
import { type V4PolicyCondition, signV4PostPolicy } from "./v4-post-policy.js";
import { V4_MAX_EXPIRES_SECONDS } from "./v4-signer.js";

/** A `File` of `@google-cloud/storage`, as far as signing a POST policy for it goes. */
export interface PostPolicyFile {
  name: string;
  bucket: { name: string };
  storage: {
    apiEndpoint?: string;
    universeDomain?: string;
    /** Set by the library when `apiEndpoint` (or `STORAGE_EMULATOR_HOST`) is not Google's. */
    customEndpoint?: boolean;
    authClient: SigningAuth;
  };
  generateSignedPostPolicyV4(
    options: GenerateSignedPostPolicyV4Options,
  ): Promise<[SignedPostPolicyV4Output]>;
}

/**
 * `file.generateSignedPostPolicyV4(options)` on the server's clock: a drop-in that takes the
 * same options and returns the same `[{ url, fields }]` for a browser form upload. The policy
 * is dated (`x-goog-date`, the credential's day) on the storage endpoint's clock, and its
 * `expiration` is `options.expires` (a time on the local clock, as it was computed) moved
 * onto that clock: a policy asked to live ten minutes lives ten minutes by the server's clock.
 * With nothing learned for the endpoint yet, one `HEAD` reads its clock (options `probe`,
 * `probeTimeoutMs`). The `url` is the library's, for every endpoint setting (for a custom
 * `apiEndpoint` without `STORAGE_EMULATOR_HOST`, that is the endpoint without the bucket).
 *
 * Times that are wrong on the local clock (an `expires` past, invalid or more than seven days
 * away) throw the library's own errors, word for word (plain `Error`s).
 *
 * @param options the options of `file.generateSignedPostPolicyV4`.
 * @param skewOptions apply only when `file.storage` was not passed to `withSkewRecovery`;
 *   validated either way.
 * @throws `SkewguardError` `SKEWGUARD_INVALID_OPTION` for an invalid skewguard option,
 *   `SKEWGUARD_UNSUPPORTED_CLIENT` for something that is not a `File`.
 *
 * @example
 * ```ts
 * const [{ url, fields }] = await generateSignedPostPolicyV4(
 *   storage.bucket("uploads").file("avatar.png"),
 *   { expires: Date.now() + 10 * 60_000, conditions: [["content-length-range", 0, 1_000_000]] },
 * );
 * // <form action={url} method="POST" enctype="multipart/form-data">: each field, then "file".
 * ```
 */
export async function generateSignedPostPolicyV4(
  file: PostPolicyFile,
  options: GenerateSignedPostPolicyV4Options,
  skewOptions?: GcsSkewOptions,
): Promise<[SignedPostPolicyV4Output]> {
  assertPostPolicyFile(file);
  const recovery = signerEngineOf(file.storage, skewOptions);
  const localNowMs = recovery.clock.now();
  const expiresMs = policyExpiry(options.expires, localNowMs);
  const storage = file.storage;
  const verifier = storage.apiEndpoint ?? DEFAULT_API_ENDPOINT;
  const host = endpointOf(verifier);
  const offsetMs =
    host === undefined
      ? 0
      : await recovery.serverOffsetMs({ url: verifier, host, operation: PROBE_OPERATION });
  const { client_email: clientEmail } = await storage.authClient.getCredentials();
  if (!clientEmail) throw new Error(SIGNED_URL_MESSAGES.noClientEmail);
  const timestampMs = localNowMs + offsetMs;
  const signed = await signV4PostPolicy({
    bucket: file.bucket.name,
    object: file.name,
    clientEmail,
    timestampMs,
    // The policy's expiration, `expires` on the server's clock, counted from the signing time.
    expiresInSeconds: Math.max(
      1,
      Math.floor((expiresMs + offsetMs) / 1000) - Math.floor(timestampMs / 1000),
    ),
    ...(options.fields ? { fields: options.fields } : {}),
    ...(options.conditions ? { conditions: options.conditions as V4PolicyCondition[] } : {}),
    sign: async (encoded) =>
      Buffer.from(await storage.authClient.sign(encoded, options.signingEndpoint), "base64"),
  });
  return [{ url: policyUrl(file, options), fields: signed.fields }];
}

/** Validates `expires` as the library does, with its words, on the local clock. */
function policyExpiry(expires: GenerateSignedPostPolicyV4Options["expires"], nowMs: number) {
  const expiresMs = new Date(expires).valueOf();
  if (Number.isNaN(expiresMs)) throw new Error(SIGNED_URL_MESSAGES.expiresInvalid);
  if (expiresMs < nowMs) throw new Error(SIGNED_URL_MESSAGES.expiresPast);
  if (expiresMs - nowMs > V4_MAX_EXPIRES_SECONDS * 1000) {
    throw new Error(SIGNED_URL_MESSAGES.tooLong);
  }
  return expiresMs;
}

/** Where the form posts, chosen as the caller's `@google-cloud/storage` (7 or 8) chooses it. */
function policyUrl(file: PostPolicyFile, options: GenerateSignedPostPolicyV4Options): string {
  const { storage } = file;
  const bucket = file.bucket.name;
  const universe = storage.universeDomain ?? "googleapis.com";
  if (storage.customEndpoint) {
    return typeof process.env["STORAGE_EMULATOR_HOST"] === "string" &&
      emulatorUrlCarriesBucket(storage)
      ? `${storage.apiEndpoint}/${bucket}`
      : String(storage.apiEndpoint);
  }
  if (options.virtualHostedStyle) return `https://${bucket}.storage.${universe}/`;
  if (options.bucketBoundHostname) return `${options.bucketBoundHostname}/`;
  return `https://storage.${universe}/${bucket}/`;
}

/**
 * Whether this library gives an emulator's form URL the bucket: from 7.20.0 on (before, the
 * bare endpoint). Read from the version the library records on its `Storage`; when that is
 * missing, as the newest does.
 */
function emulatorUrlCarriesBucket(storage: PostPolicyFile["storage"]): boolean {
  const version = (storage as { packageJson?: { version?: unknown } }).packageJson?.version;
  if (typeof version !== "string") return true;
  // "7.15.0" -> [7, 15]: the major and minor are all the comparison needs.
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 7 || (major === 7 && minor >= 20);
}

function assertPostPolicyFile(file: unknown): asserts file is PostPolicyFile {
  const candidate = file as Partial<PostPolicyFile> | null;
  if (
    typeof candidate?.generateSignedPostPolicyV4 !== "function" ||
    typeof candidate.storage?.authClient?.sign !== "function"
  ) {
    throw new SkewguardError(
      "SKEWGUARD_UNSUPPORTED_CLIENT",
      "generateSignedPostPolicyV4 expects a File from @google-cloud/storage 7 or 8",
    );
  }
}
