import { endpointKey } from "@skewguard/diagnosis/adapter";
import { GOOGLE_TOKEN_URL } from "./constants.js";

/** The offset store's key of a URL the SDK holds (a string, or a `URL` in gaxios 7+). */
export function endpointOf(url: unknown): string | undefined {
  return typeof url === "string" || url instanceof URL ? endpointKey(url) : undefined;
}

/** Where one auth client's grants go, and whose clock stands in for that endpoint's. */
export interface GrantEndpoints {
  /**
   * The token endpoint. Known for sure only from a response: a proxy, an emulator's redirect
   * or another library version may send grants elsewhere than Google's default.
   */
  tokenHost: string;
  /** The storage endpoint: Google's front ends share one clock, so it stands in for the token endpoint's. */
  readonly aliases: readonly string[];
}

export function grantEndpoints(apiEndpoint: unknown): GrantEndpoints {
  const apiHost = endpointOf(apiEndpoint);
  return {
    tokenHost: endpointOf(GOOGLE_TOKEN_URL) ?? "www.googleapis.com",
    aliases: apiHost === undefined ? [] : [apiHost],
  };
}

/** Notes where a grant actually went, from the request config gaxios hands back. */
export function learnTokenHost(endpoints: GrantEndpoints, url: unknown): void {
  const host = endpointOf(url);
  if (host !== undefined) endpoints.tokenHost = host;
}
