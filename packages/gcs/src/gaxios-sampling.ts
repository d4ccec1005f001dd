import { type SkewRecovery, toHeaderMap } from "@skewguard/diagnosis/adapter";
import { JWT_BEARER_GRANT_TYPE } from "./constants.js";
import { endpointOf, type GrantEndpoints, learnTokenHost } from "./endpoints.js";

interface Interceptor<T> {
  resolved?: (value: T) => T | Promise<T>;
  rejected?: (error: unknown) => unknown;
}

interface GaxiosConfigLike {
  url?: unknown;
  data?: unknown;
}

interface GaxiosResponseLike {
  status?: unknown;
  headers?: unknown;
  config?: GaxiosConfigLike;
}

interface GaxiosLike {
  interceptors: {
    request: Set<Interceptor<GaxiosConfigLike>>;
    response: Set<Interceptor<GaxiosResponseLike>>;
  };
}

/**
 * Reads the server's clock from every response the auth client's gaxios instance receives:
 * token grants, and API calls made through `authClient.request` (resumable uploads). Send
 * times are kept by request config, which gaxios hands back on the response and the error.
 * Refused grants are left to the engine, which learns from them as it decides the resend.
 * Returns false when the transporter exposes no gaxios interceptors.
 */
export function sampleGaxiosResponses(
  transporter: unknown,
  recovery: SkewRecovery,
  endpoints: GrantEndpoints,
): boolean {
  const gaxios = gaxiosOf(transporter);
  if (!gaxios) return false;
  const sentAt = new WeakMap<object, number>();

  const learn = (
    response: GaxiosResponseLike | undefined,
    config: GaxiosConfigLike | undefined,
  ) => {
    const started = config ? sentAt.get(config) : undefined;
    const host = endpointOf(config?.url);
    if (!response || started === undefined || host === undefined) return;
    const status = typeof response.status === "number" ? response.status : 0;
    const grant = isTokenGrant(config);
    if (grant) learnTokenHost(endpoints, config?.url);
    if (grant && status >= 400) return;
    // As for API responses: a success the engine would not read costs no header copy.
    if (status < 400 && !recovery.wantsSample(host)) return;
    recovery.sample({
      provider: "gcs",
      host,
      operation: grant ? "token.grant" : "api.request",
      sentAt: started,
      receivedAt: recovery.clock.now(),
      status,
      headers: toHeaderMap(response.headers),
      ...(grant ? { tokenGrant: true } : {}),
    });
  };

  gaxios.interceptors.request.add({
    resolved: (config) => {
      sentAt.set(config, recovery.clock.now());
      return config;
    },
  });
  gaxios.interceptors.response.add({
    resolved: (response) => {
      learn(response, response.config);
      return response;
    },
    rejected: (error) => {
      const { response, config } = (error ?? {}) as {
        response?: GaxiosResponseLike;
        config?: GaxiosConfigLike;
      };
      learn(response, config ?? response?.config);
      throw error;
    },
  });
  return true;
}

/** gaxios 6 sits at `transporter.instance` (google-auth-library 9); gaxios 7 is the transporter. */
function gaxiosOf(transporter: unknown): GaxiosLike | undefined {
  for (const candidate of [transporter, (transporter as { instance?: unknown } | null)?.instance]) {
    const interceptors = (candidate as Partial<GaxiosLike> | null | undefined)?.interceptors;
    if (
      typeof interceptors?.request?.add === "function" &&
      typeof interceptors.response?.add === "function"
    ) {
      return candidate as GaxiosLike;
    }
  }
  return undefined;
}

/** A service-account grant, whichever way the form was encoded. */
function isTokenGrant(config: GaxiosConfigLike | undefined): boolean {
  const data = config?.data;
  if (data instanceof URLSearchParams) return data.get("grant_type") === JWT_BEARER_GRANT_TYPE;
  if (typeof data === "string") return data.includes(encodeURIComponent(JWT_BEARER_GRANT_TYPE));
  return (
    (data as { grant_type?: unknown } | null | undefined)?.grant_type === JWT_BEARER_GRANT_TYPE
  );
}
