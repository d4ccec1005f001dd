import { type KeyObject, verify } from "node:crypto";

/** Google's wording for a JWT whose `iat`/`exp` the token endpoint will not accept. */
export const INVALID_JWT_TIME =
  "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/** Google's wording for a JWT signed with a key that is not the account's. */
export const INVALID_JWT_SIGNATURE = "Invalid JWT Signature.";

/**
 * How far `iat` may sit from the endpoint's clock, either way. Google does not publish its
 * window; clients whose clocks lag minutes behind (a VM after suspend) are refused as well
 * as clients ahead, so the fake checks both directions.
 */
export const TOKEN_IAT_ALLOWANCE_MS = 5 * 60_000;

/** The longest `exp - iat` Google accepts. */
export const MAX_JWT_LIFETIME_SECONDS = 3600;

/** Audiences Google's token endpoint answers to (gtoken 7 still signs the v4 URL). */
export const GOOGLE_TOKEN_AUDIENCES: readonly string[] = [
  "https://oauth2.googleapis.com/token",
  "https://www.googleapis.com/oauth2/v4/token",
  "https://accounts.google.com/o/oauth2/token",
];

export const JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export interface JwtGrantCheck {
  /** The endpoint's time, milliseconds since the epoch. */
  now: number;
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** Accepted `aud` values. */
  audiences: readonly string[];
  /** @default TOKEN_IAT_ALLOWANCE_MS */
  allowanceMs?: number;
}

export interface JwtClaims {
  iss: string;
  scope: string;
  aud: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

export type JwtGrantVerdict =
  | { ok: true; claims: JwtClaims }
  | { ok: false; status: number; body: { error: string; error_description: string } };

/**
 * Checks a `jwt-bearer` grant form the way Google's token endpoint does: grant type,
 * signature against the issuer's key, audience, scope, then the time window.
 */
export function checkJwtGrant(form: URLSearchParams, check: JwtGrantCheck): JwtGrantVerdict {
  const grantType = form.get("grant_type");
  if (grantType !== JWT_BEARER_GRANT_TYPE) {
    return refuse("unsupported_grant_type", `Invalid grant_type: ${grantType ?? ""}`);
  }
  const parts = (form.get("assertion") ?? "").split(".");
  const header = parts.length === 3 ? decodeJson(parts[0]!) : undefined;
  const payload = parts.length === 3 ? decodeJson(parts[1]!) : undefined;
  if (!header || !payload) return refuse("invalid_grant", "Invalid JWT: malformed assertion.");
  if (header["alg"] !== "RS256") return refuse("invalid_grant", INVALID_JWT_SIGNATURE);

  const issuer = typeof payload["iss"] === "string" ? payload["iss"] : "";
  const key = check.publicKeys.get(issuer);
  if (!key) return refuse("invalid_grant", "Invalid grant: account not found");
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify("sha256", signed, key, Buffer.from(parts[2]!, "base64url"))) {
    return refuse("invalid_grant", INVALID_JWT_SIGNATURE);
  }
  if (typeof payload["aud"] !== "string" || !check.audiences.includes(payload["aud"])) {
    return refuse("invalid_grant", "Invalid JWT: Failed audience check.");
  }
  if (typeof payload["scope"] !== "string" || payload["scope"].trim() === "") {
    return refuse("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  }
  if (!timesAcceptable(payload["iat"], payload["exp"], check)) {
    return refuse("invalid_grant", INVALID_JWT_TIME);
  }
  return { ok: true, claims: payload as JwtClaims };
}

/**
 * Checks a self-signed JWT sent as the bearer token itself (google-auth-library's `JWTAccess`
 * mode): RS256 by the issuer's key, an `aud` or a `scope`, and the same time window as a grant.
 */
export function checkSelfSignedJwt(
  token: string,
  check: Omit<JwtGrantCheck, "audiences">,
): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  const header = decodeJson(parts[0]!);
  const payload = decodeJson(parts[1]!);
  if (header?.["alg"] !== "RS256" || !payload) return false;
  const key = check.publicKeys.get(typeof payload["iss"] === "string" ? payload["iss"] : "");
  if (!key) return false;
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify("sha256", signed, key, Buffer.from(parts[2]!, "base64url"))) return false;
  if (typeof payload["aud"] !== "string" && typeof payload["scope"] !== "string") return false;
  return timesAcceptable(payload["iat"], payload["exp"], check);
}

/** A JWT's `iat`/`exp` claims, read without checking anything (for the fake's records). */
export function jwtTimesOf(jwt: string): { iat?: number; exp?: number } {
  const payload = decodeJson(jwt.split(".")[1] ?? "");
  const times: { iat?: number; exp?: number } = {};
  if (typeof payload?.["iat"] === "number") times.iat = payload["iat"];
  if (typeof payload?.["exp"] === "number") times.exp = payload["exp"];
  return times;
}

function timesAcceptable(
  iat: unknown,
  exp: unknown,
  check: Pick<JwtGrantCheck, "now" | "allowanceMs">,
): boolean {
  if (typeof iat !== "number" || typeof exp !== "number") return false;
  const allowance = check.allowanceMs ?? TOKEN_IAT_ALLOWANCE_MS;
  const iatMs = iat * 1000;
  if (Math.abs(iatMs - check.now) > allowance) return false;
  if (exp * 1000 <= check.now) return false;
  return exp > iat && exp - iat <= MAX_JWT_LIFETIME_SECONDS;
}

function refuse(error: string, description: string): JwtGrantVerdict {
  return { ok: false, status: 400, body: { error, error_description: description } };
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value !== null && typeof value === "object"
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
