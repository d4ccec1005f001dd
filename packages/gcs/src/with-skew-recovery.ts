import { SkewguardError } from "@skewguard/diagnosis";
import { type MakeAuthenticatedRequest, sampleApiResponses } from "./api-sampling.js";
import { attachContext, contextOf, createContext, type GcsSkewContext } from "./context.js";
import { sampleGaxiosResponses } from "./gaxios-sampling.js";
import { createGrantState } from "./grant-state.js";
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
export interface GoogleAuthLike {
  getClient(): Promise<unknown>;
  cachedCredential?: unknown;
}

/**
 * Makes a `Storage` heal from clock skew: its service-account token grants are stamped on the
 * server's clock (and granted once more at once, on the corrected clock, when the token
 * endpoint refuses the JWT's times), and the responses it receives teach the offset that
 * `getSignedUrl` signs with. Returns the same `Storage`; wrapping twice changes nothing.
 *
 * The auth client is created lazily by the library, so it is hooked when it first appears.
 */
export function withSkewRecovery<S extends StorageLike>(
  storage: S,
  options: GcsSkewOptions = {},
): S {
  if (contextOf(storage)) return storage;
  assertStorage(storage);
  const context = createContext(options);
  hookAuthClient(storage, context);
  sampleApiResponses(
    storage as { makeAuthenticatedRequest: MakeAuthenticatedRequest },
    context.recovery,
  );
  attachContext(storage, context);
  return storage;
}

function hookAuthClient(storage: StorageLike, context: GcsSkewContext): void {
  const auth = storage.authClient;
  const hooked = new WeakSet<object>();
  const hook = (client: unknown): void => {
    if (typeof client !== "object" || client === null || hooked.has(client)) return;
    hooked.add(client);
    const state = createGrantState(context.recovery, storage.apiEndpoint);
    sampleGaxiosResponses((client as { transporter?: unknown }).transporter, state);
    if (!isJwtClient(client)) return;
    hookTokenGrants(client, state);
    hookSelfSignedJwts(client, context, storage.apiEndpoint);
  };
  if (auth.cachedCredential) hook(auth.cachedCredential);
  const getClient = auth.getClient.bind(auth);
  auth.getClient = async () => {
    const client = await getClient();
    hook(client);
    return client;
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
