import { JWT_LIFETIME_SECONDS } from "./constants.js";

/** Where a grant JWT's times come from: the server's clock as far as it is known. */
export interface GrantStamp {
  /** Local clock, ms. */
  localMs: number;
  /** Offset applied (server minus local), ms. */
  offsetMs: number;
}

/**
 * The user's `additionalClaims` with `iat`/`exp` getters on top. gtoken merges additional
 * claims over its own `iat`/`exp` with `Object.assign`, which runs the getters at each grant,
 * so every grant (the corrective one too) is stamped with the offset known at that moment.
 * `exp` reuses the `iat` just read: reading the clock twice could straddle a second and make
 * the JWT live 3601 s, which Google refuses.
 */
export function timedClaims(
  userClaims: Readonly<Record<string, unknown>> | undefined,
  stamp: () => GrantStamp,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...userClaims };
  delete claims["iat"];
  delete claims["exp"];
  let iat: number | undefined;
  const issuedAt = (): number => {
    const { localMs, offsetMs } = stamp();
    return Math.floor((localMs + offsetMs) / 1000);
  };
  Object.defineProperty(claims, "iat", {
    enumerable: true,
    get: () => {
      iat = issuedAt();
      return iat;
    },
  });
  Object.defineProperty(claims, "exp", {
    enumerable: true,
    get: () => (iat ?? issuedAt()) + JWT_LIFETIME_SECONDS,
  });
  return claims;
}
