import type { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { GOOGLE_TOKEN_URL } from "./constants.js";
import { hostOf } from "./headers.js";
import type { GrantStamp } from "./jwt-claims.js";

/** What the token-grant hooks of one auth client share. */
export interface GrantState {
  recovery: SkewRecovery;
  /** The token endpoint, `host[:port]`: learned from grant responses (a proxy may move it). */
  tokenHost: string;
  /** The storage endpoint: its clock stands in for the token endpoint's until that is known. */
  apiHost: string | undefined;
  /** Set for the duration of a corrective grant: the offset the decision chose. */
  forcedOffsetMs?: number;
  /** What the last JWT was stamped with. */
  lastStamp?: GrantStamp;
}

export function createGrantState(recovery: SkewRecovery, apiEndpoint: unknown): GrantState {
  return {
    recovery,
    tokenHost: hostOf(GOOGLE_TOKEN_URL) ?? "www.googleapis.com",
    apiHost: hostOf(apiEndpoint),
  };
}

/**
 * Stamps the next JWT: the forced offset of a corrective grant, else what is known of the
 * token endpoint, else of the storage endpoint (Google's front ends share one clock), else 0.
 */
export function stampGrant(state: GrantState): GrantStamp {
  const { recovery } = state;
  const known =
    recovery.offsets.get(state.tokenHost) ??
    (state.apiHost === undefined ? undefined : recovery.offsets.get(state.apiHost));
  const stamp = {
    localMs: recovery.clock.now(),
    offsetMs: state.forcedOffsetMs ?? known?.offsetMs ?? 0,
  };
  state.lastStamp = stamp;
  return stamp;
}
