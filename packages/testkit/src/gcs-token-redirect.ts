import { GOOGLE_TOKEN_AUDIENCES } from "./gcs-token-grant.js";

interface RequestInterceptor {
  resolved?: (config: { url?: unknown }) => unknown;
}

interface InterceptorSet {
  add(interceptor: RequestInterceptor): unknown;
  delete(interceptor: RequestInterceptor): unknown;
}

interface GaxiosLike {
  interceptors: { request: InterceptorSet };
}

/**
 * Sends a google-auth-library client's OAuth token requests to `tokenUrl` instead of Google.
 * gtoken 7 (google-auth-library 9) posts to a fixed Google URL and ignores a key file's
 * `token_uri`, so the fake is reached through a request interceptor on the client's own
 * gaxios instance (`transporter.instance` in v9, `transporter` itself in v10). The JWT keeps
 * Google's audience, which the fake accepts. Returns a function that removes the redirect.
 */
export function redirectGoogleTokenRequests(
  authClient: { transporter: unknown },
  tokenUrl: string,
): () => void {
  const gaxios = gaxiosOf(authClient.transporter);
  const interceptor: RequestInterceptor = {
    resolved: (config) => {
      if (GOOGLE_TOKEN_AUDIENCES.includes(String(config.url))) {
        // gaxios 7+ hands the interceptor a `URL` and reads it as one afterwards.
        config.url = config.url instanceof URL ? new URL(tokenUrl) : tokenUrl;
      }
      return config;
    },
  };
  gaxios.interceptors.request.add(interceptor);
  return () => {
    gaxios.interceptors.request.delete(interceptor);
  };
}

/** Where the client library sends JSON API and resumable upload requests by default. */
const GOOGLE_STORAGE_ORIGIN = "https://storage.googleapis.com";

/**
 * Sends the requests a google-auth-library client makes for `@google-cloud/storage` to
 * Google's storage endpoint (`https://storage.googleapis.com/...`) to `apiUrl` instead. The
 * library sends resumable uploads (`createWriteStream`, `save`, `createResumableUpload`)
 * through the auth client, so a `Storage` left on its default endpoint, which authenticates
 * every step of a resumable upload, is tested against the fake with this. JSON API calls
 * (`download`, `getFiles`, ...) do not pass through the auth client and are not redirected:
 * point those at the fake with `apiEndpoint`. Returns a function that removes the redirect.
 */
export function redirectGoogleStorageRequests(
  authClient: { transporter: unknown },
  apiUrl: string,
): () => void {
  const gaxios = gaxiosOf(authClient.transporter);
  const target = new URL(apiUrl);
  const interceptor: RequestInterceptor = {
    resolved: (config) => {
      const url = String(config.url);
      if (url === GOOGLE_STORAGE_ORIGIN || url.startsWith(`${GOOGLE_STORAGE_ORIGIN}/`)) {
        const moved = new URL(url.slice(GOOGLE_STORAGE_ORIGIN.length), target.origin);
        config.url = config.url instanceof URL ? moved : moved.href;
      }
      return config;
    },
  };
  gaxios.interceptors.request.add(interceptor);
  return () => {
    gaxios.interceptors.request.delete(interceptor);
  };
}

function gaxiosOf(transporter: unknown): GaxiosLike {
  for (const candidate of [transporter, (transporter as { instance?: unknown })?.instance]) {
    const request = (candidate as Partial<GaxiosLike> | undefined)?.interceptors?.request;
    if (request && typeof request.add === "function") return candidate as GaxiosLike;
  }
  throw new TypeError("the auth client's transporter exposes no gaxios interceptors");
}
