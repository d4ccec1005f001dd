import { JWT_LIFETIME_SECONDS } from "./constants.js";

/**
 * The user's `additionalClaims` with `iat`/`exp` getters on top. gtoken merges additional
 * claims over its own `iat`/`exp` at every grant (gtoken 7 with `Object.assign`,
 * google-auth-library 10+ with a spread), which runs the getters then: `issuedAt()` says, at
 * that moment, which second the grant is issued at. `exp` reuses the `iat` just read: reading
 * the clock twice could straddle a second and make the JWT live 3601 s, which Google refuses.
 */
export function timedClaims(
  userClaims: Readonly<Record<string, unknown>> | undefined,
  issuedAt: () => number,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...userClaims };
  delete claims["iat"];
  delete claims["exp"];
  let iat: number | undefined;
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
