import { AsyncLocalStorage } from "node:async_hooks";
import type { SignedFacts } from "@skewguard/diagnosis";
import type { AttemptReport, RecoveryRequest, SkewRecovery } from "@skewguard/diagnosis/adapter";
import { type GrantEndpoints, learnTokenHost } from "./endpoints.js";
import { timedClaims } from "./jwt-claims.js";

/**
 * The parts of google-auth-library's `JWT` that skewguard hooks (9, 10 and 11; checked at
 * runtime, so another shape is left alone rather than broken).
 */
export interface JwtClientLike {
  additionalClaims?: Record<string, unknown>;
  createGToken(): GTokenLike;
  refreshTokenNoCache(refreshToken?: string | null): Promise<unknown>;
}

/**
 * gtoken 7 (google-auth-library 9) reads its own `additionalClaims`; google-auth-library 10+
 * carries its gtoken inside and reads them from `tokenOptions`.
 */
interface GTokenLike {
  additionalClaims?: Record<string, unknown>;
  tokenOptions?: { additionalClaims?: Record<string, unknown> };
}

type Refresh = JwtClientLike["refreshTokenNoCache"];

interface GaxiosErrorLike {
  config?: { url?: unknown };
  response?: { status?: unknown };
}

/** One attempt of a grant: the offset its plan signs at, and the time its JWT was stamped with. */
interface GrantAttempt {
  readonly offsetMs: number;
  /** Server-clock ms written into `iat` (before truncation to the second). */
  signedAtMs?: number;
}

export function isJwtClient(client: unknown): client is JwtClientLike {
  const candidate = client as Partial<JwtClientLike> | null;
  return (
    typeof candidate?.createGToken === "function" &&
    typeof candidate.refreshTokenNoCache === "function"
  );
}

/**
 * Grants on the server's clock. `refreshTokenNoCache` becomes one request the engine runs: each
 * attempt is stamped at the offset of its plan (the engine's choice: what is known first, the
 * corrected clock for the one corrective resend). Every gtoken the client creates gets
 * `iat`/`exp` getters that read the offset of the attempt they are merged in (scoped to it by
 * `AsyncLocalStorage`, so concurrent grants cannot see each other's); a grant made outside the
 * hook (`gtoken.getToken()` called directly) is stamped on the learned clock. Hooked below the
 * client's own de-duplication of concurrent refreshes, so fifty first requests still cost one
 * grant (two when the first is refused).
 */
export function hookTokenGrants(
  client: JwtClientLike,
  recovery: SkewRecovery,
  endpoints: GrantEndpoints,
): void {
  const attempts = new AsyncLocalStorage<GrantAttempt>();
  const issuedAt = (): number => {
    const attempt = attempts.getStore();
    const offsetMs =
      attempt?.offsetMs ?? recovery.signingOffsetMs(endpoints.tokenHost, endpoints.aliases);
    const signedAtMs = recovery.clock.now() + offsetMs;
    if (attempt) attempt.signedAtMs = signedAtMs;
    return Math.floor(signedAtMs / 1000);
  };

  const createGToken = client.createGToken.bind(client);
  client.createGToken = () => {
    const gtoken = createGToken();
    const claims = timedClaims(client.additionalClaims, issuedAt);
    gtoken.additionalClaims = claims;
    if (typeof gtoken.tokenOptions === "object" && gtoken.tokenOptions !== null) {
      gtoken.tokenOptions.additionalClaims = claims;
    }
    return gtoken;
  };

  const refresh: Refresh = client.refreshTokenNoCache.bind(client);
  const request: RecoveryRequest = {
    // Read at each use: the first refusal may show the grant went elsewhere (see GrantEndpoints).
    get host() {
      return endpoints.tokenHost;
    },
    aliases: endpoints.aliases,
    operation: "token.grant",
    tokenGrant: true,
  };
  client.refreshTokenNoCache = (refreshToken) =>
    recovery.run(request, (plan) => {
      const attempt: GrantAttempt = { offsetMs: plan.offsetMs };
      return attempts.run(attempt, () => grantOnce(refresh, refreshToken, attempt, endpoints));
    });
}

/**
 * One grant, reported to the engine. Only the response travels: the request's form holds the
 * signed JWT, which must never reach an event or a diagnosis.
 */
async function grantOnce(
  refresh: Refresh,
  refreshToken: string | null | undefined,
  attempt: GrantAttempt,
  endpoints: GrantEndpoints,
): Promise<AttemptReport<unknown>> {
  try {
    // A success is sampled by the gaxios interceptors, which see its headers and timing.
    return { value: await refresh(refreshToken), status: 200 };
  } catch (error) {
    const { config, response } = (error ?? {}) as GaxiosErrorLike;
    // No response (an unreadable key, a timeout): nothing about the clock; rethrown untouched.
    if (typeof response?.status !== "number") return { error };
    learnTokenHost(endpoints, config?.url);
    const signed: SignedFacts = {
      ...(attempt.signedAtMs === undefined ? {} : { signedAtMs: attempt.signedAtMs }),
      offsetMs: attempt.offsetMs,
      algorithm: "RS256",
    };
    return { error, status: response.status, response: () => ({ error, signed }) };
  }
}
