import { SampleGate, type SkewRecovery, toHeaderMap } from "@skewguard/diagnosis/adapter";
import { endpointOf } from "./endpoints.js";

type Callback = (error: unknown, ...results: unknown[]) => void;

/** `Storage#makeAuthenticatedRequest`: callback, stream, or `onAuthenticated` form. */
export type MakeAuthenticatedRequest = ((
  reqOpts: { uri?: unknown; url?: unknown },
  optionsOrCallback?: unknown,
) => unknown) &
  Record<string, unknown>;

interface ResponseLike {
  statusCode?: unknown;
  headers?: unknown;
}

interface EmitterLike {
  on(event: string, listener: (value: unknown) => void): unknown;
}

/**
 * Reads the server's clock from the JSON API responses of a `Storage`. These do not pass
 * through gaxios: the library sends them with teeny-request from `makeAuthenticatedRequest`,
 * which every bucket and file request goes through, so that is where they are seen. The send
 * time is taken before authorisation, so a first request's interval includes its token grant:
 * wider, never wrong.
 *
 * Whether a request is watched is decided before it is sent, by the core's `SampleGate`: while
 * nothing is known of the endpoint, while a reading is held, and then once per
 * `successSampleIntervalMs`. A request not watched is handed to the library untouched (no
 * listener, no closure, no host lookup): watching every request and dropping most answers cost
 * about 1 % of a download's time in `pnpm bench`. The price: an answer within the interval of
 * the last reading is not read, failure or success, so a clock step shows within one interval,
 * not at the first failure after it.
 */
export function sampleApiResponses(
  storage: { makeAuthenticatedRequest: MakeAuthenticatedRequest },
  recovery: SkewRecovery,
): void {
  const original = storage.makeAuthenticatedRequest;
  const gate = new SampleGate(recovery);
  const learn = (host: string, sentAt: number, response: unknown) => {
    const res = response as ResponseLike | undefined;
    // teeny-request's responses carry `statusCode`; a token grant's gaxios response, handed
    // over when authorisation failed, does not, and belongs to another endpoint.
    const status = res?.statusCode;
    if (!res?.headers || typeof status !== "number") return;
    const receivedAt = recovery.clock.now();
    recovery.sample({
      provider: "gcs",
      host,
      operation: "api.request",
      sentAt,
      receivedAt,
      status,
      headers: toHeaderMap(res.headers),
    });
  };

  const wrapped = function (
    this: unknown,
    reqOpts: { uri?: unknown; url?: unknown },
    optionsOrCallback?: unknown,
  ): unknown {
    const sentAt = recovery.clock.now();
    if (gate.quiet(sentAt)) return original.call(this, reqOpts, optionsOrCallback);
    const host = endpointOf(reqOpts.uri ?? reqOpts.url);
    if (host === undefined || !gate.wants(host, sentAt)) {
      return original.call(this, reqOpts, optionsOrCallback);
    }
    if (typeof optionsOrCallback === "function") {
      const callback = optionsOrCallback as Callback;
      return original.call(this, reqOpts, (error: unknown, ...results: unknown[]) => {
        learn(host, sentAt, results[1] ?? (error as { response?: unknown } | null)?.response);
        callback(error, ...results);
      });
    }
    const result = original.call(this, reqOpts, optionsOrCallback);
    // The stream form (downloads) reports its response as an event; `onAuthenticated`
    // callers send the request themselves and are not seen.
    if (optionsOrCallback === undefined && typeof (result as EmitterLike)?.on === "function") {
      (result as EmitterLike).on("response", (response) => learn(host, sentAt, response));
    }
    return result;
  } as MakeAuthenticatedRequest;
  // `getCredentials` and `authClient` hang off the function; callers read them there.
  Object.assign(wrapped, original);
  storage.makeAuthenticatedRequest = wrapped;
}
