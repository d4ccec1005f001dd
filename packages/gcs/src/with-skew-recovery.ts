import { SkewguardError } from "@skewguard/diagnosis";
import type { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { type MakeAuthenticatedRequest, sampleApiResponses } from "./api-sampling.js";
import { attachEngine, createEngine, engineOf } from "./context.js";
import { grantEndpoints } from "./endpoints.js";
import { sampleGaxiosResponses } from "./gaxios-sampling.js";
import type { GcsSkewOptions } from "./options.js";
import { hookSelfSignedJwts } from "./self-signed-jwt.js";
import { hookTokenGrants, isJwtClient } from "./token-grant.js";

/** The parts of `@google-cloud/storage`'s `Storage` (7 and 8) that skewguard touches. */
export interface StorageLike {
  apiEndpoint: string;
  authClient: GoogleAuthLike;
  /** Typed loosely: its overloads differ between versions; checked at runtime. */
  makeAuthenticatedRequest: unknown;
}

/** google-auth-library's `GoogleAuth`, which `Storage` always holds (wrapping a given client). */
interface GoogleAuthLike {
  getClient(): Promise<unknown>;
  cachedCredential?: unknown;
}

/**
 * Makes a `Storage` heal from clock skew: its service-account token grants are stamped on the
 * server's clock (and granted once more at once, on the corrected clock, when the token
 * endpoint refuses the JWT's times), self-signed JWTs are re-stamped on the storage
 * endpoint's clock, and the responses it receives teach the offset that `getSignedUrl` signs
 * with. A refused grant's error carries a diagnosis: `diagnosisOf(error)`.
 *
 * Returns the same `Storage`; wrapping twice changes nothing. The auth client is created
 * lazily by the library, so it is hooked when it first appears.
 *
 * @param options all optional, defaults in the core's `RECOVERY_DEFAULTS`; validated at once.
 * @throws `SkewguardError` `SKEWGUARD_INVALID_OPTION` for an invalid option,
 *   `SKEWGUARD_UNSUPPORTED_CLIENT` for something that is not a `Storage`.
 *
 * @example
 * ```ts
 * import { Storage } from "@google-cloud/storage";
 * import { diagnosisOf, withSkewRecovery } from "@skewguard/gcs";
 *
 * const storage = withSkewRecovery(new Storage(), {
 *   onEvent: (event) => console.warn(event.type, event),
 * });
 * try {
 *   await storage.bucket("my-bucket").file("a.txt").save("hello");
 * } catch (error) {
 *   console.error(diagnosisOf(error)?.summary);
 *   throw error;
 * }
 * ```
 */
export function withSkewRecovery<S extends StorageLike>(
  storage: S,
  options: GcsSkewOptions = {},
): S {
  // Built first: it validates the options, also for a Storage wrapped already.
  const recovery = createEngine(options);
  if (engineOf(storage)) return storage;
  assertStorage(storage);
  hookAuthClient(storage, recovery);
  sampleApiResponses(storage as { makeAuthenticatedRequest: MakeAuthenticatedRequest }, recovery);
  attachEngine(storage, recovery);
  return storage;
}

function hookAuthClient(storage: StorageLike, recovery: SkewRecovery): void {
  const auth = storage.authClient;
  const hooked = new WeakSet<object>();
  const hook = (client: unknown): void => {
    if (typeof client !== "object" || client === null || hooked.has(client)) return;
    hooked.add(client);
    const endpoints = grantEndpoints(storage.apiEndpoint);
    sampleGaxiosResponses((client as { transporter?: unknown }).transporter, recovery, endpoints);
    if (!isJwtClient(client)) return;
    hookTokenGrants(client, recovery, endpoints);
    hookSelfSignedJwts(client, recovery, storage.apiEndpoint);
  };
  if (auth.cachedCredential) hook(auth.cachedCredential);
  const getClient = auth.getClient.bind(auth);
  // The library asks for the client on every request: once the one it holds is hooked, the
  // call goes straight through, with no promise step of skewguard's.
  auth.getClient = () => {
    const cached = auth.cachedCredential;
    if (typeof cached === "object" && cached !== null && hooked.has(cached)) return getClient();
    return getClient().then((client) => {
      hook(client);
      return client;
    });
  };
}

function assertStorage(storage: unknown): asserts storage is StorageLike {
  const candidate = storage as Partial<StorageLike> | null;
  if (
    typeof candidate?.makeAuthenticatedRequest !== "function" ||
    typeof candidate.authClient?.getClient !== "function"
  ) {
    throw new SkewguardError(
      "SKEWGUARD_UNSUPPORTED_CLIENT",
      "withSkewRecovery expects a Storage from @google-cloud/storage 7 or 8",
    );
  }
}
