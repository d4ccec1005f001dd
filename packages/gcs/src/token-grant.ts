import type { Observation } from "@skewguard/diagnosis";
import type { Decision } from "@skewguard/diagnosis/adapter";
import { GCS_DEFAULTS } from "./constants.js";
import { attachDiagnosis } from "./diagnosis-of.js";
import { type GrantState, stampGrant } from "./grant-state.js";
import { bodyText, hostOf, toHeaderMap } from "./headers.js";
import { timedClaims } from "./jwt-claims.js";

/**
 * The parts of google-auth-library's `JWT` that skewguard hooks (v9; checked at runtime, so
 * another shape is left alone rather than broken).
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
  response?: { status?: unknown; headers?: unknown; data?: unknown };
}

export function isJwtClient(client: unknown): client is JwtClientLike {
  const candidate = client as Partial<JwtClientLike> | null;
  return (
    typeof candidate?.createGToken === "function" &&
    typeof candidate.refreshTokenNoCache === "function"
  );
}

/**
 * Grants on the learned clock: every gtoken the client creates gets `iat`/`exp` getters, and
 * a grant refused for its times is learned from and granted again at once, once. Hooked at
 * `refreshTokenNoCache`, below the client's own de-duplication of concurrent refreshes, so
 * fifty first requests still cost one grant (two when the first is refused).
 */
export function hookTokenGrants(client: JwtClientLike, state: GrantState): void {
  const createGToken = client.createGToken.bind(client);
  client.createGToken = () => {
    const gtoken = createGToken();
    const claims = timedClaims(client.additionalClaims, () => stampGrant(state));
    gtoken.additionalClaims = claims;
    if (typeof gtoken.tokenOptions === "object" && gtoken.tokenOptions !== null) {
      gtoken.tokenOptions.additionalClaims = claims;
    }
    return gtoken;
  };
  const refresh: Refresh = client.refreshTokenNoCache.bind(client);
  client.refreshTokenNoCache = (refreshToken) => grantWithRecovery(refresh, refreshToken, state);
}

async function grantWithRecovery(
  refresh: Refresh,
  refreshToken: string | null | undefined,
  state: GrantState,
): Promise<unknown> {
  const firstSentAt = state.recovery.clock.now();
  try {
    return await refresh(refreshToken);
  } catch (error) {
    const obs = grantObservation(error, firstSentAt, state, false);
    if (!obs) throw error;
    const result = state.recovery.observe(obs, { replayable: true, resendAllowed: true });
    if (result.decision.action !== "resend") throw attachDiagnosis(error, result.diagnosis);
    return regrant(refresh, refreshToken, state, result.decision, obs);
  }
}

/** The one corrective grant, stamped with the offset the decision chose. */
async function regrant(
  refresh: Refresh,
  refreshToken: string | null | undefined,
  state: GrantState,
  decision: Decision,
  failed: Observation,
): Promise<unknown> {
  const { recovery } = state;
  state.forcedOffsetMs = decision.offsetMs ?? recovery.offsetMs(failed.host);
  const sentAt = recovery.clock.now();
  try {
    const tokens = await refresh(refreshToken);
    const { body: _body, ...rest } = failed;
    recovery.recovered(
      { ...rest, sentAt, receivedAt: recovery.clock.now(), status: 200, headers: {}, resent: true },
      2,
      failed.sentAt,
    );
    return tokens;
  } catch (again) {
    const obs = grantObservation(again, sentAt, state, true);
    if (!obs) throw again;
    const result = recovery.observe(obs, { replayable: true, resendAllowed: true });
    throw attachDiagnosis(again, result.diagnosis);
  } finally {
    delete state.forcedOffsetMs;
  }
}

/**
 * A refused grant as the core sees it. Only the response travels: the request's form holds
 * the signed JWT, which must never reach an event.
 */
function grantObservation(
  error: unknown,
  sentAt: number,
  state: GrantState,
  resent: boolean,
): Observation | undefined {
  const { config, response } = (error ?? {}) as GaxiosErrorLike;
  if (typeof response?.status !== "number") return undefined;
  const host = hostOf(config?.url) ?? state.tokenHost;
  state.tokenHost = host;
  const stamp = state.lastStamp;
  const body = bodyText(response.data, GCS_DEFAULTS.errorBodyChars);
  return {
    provider: "gcs",
    host,
    operation: "token.grant",
    sentAt,
    receivedAt: state.recovery.clock.now(),
    status: response.status,
    headers: toHeaderMap(response.headers),
    ...(body === undefined ? {} : { body }),
    ...(stamp
      ? {
          signed: {
            signedAtMs: stamp.localMs + stamp.offsetMs,
            offsetMs: stamp.offsetMs,
            algorithm: "RS256",
          },
        }
      : {}),
    tokenGrant: true,
    resent,
  };
}
