import type { OffsetStore } from "./offset-store.js";
import { toHeaderMap } from "./headers.js";
import type { Clock, Observation, OffsetEstimate, Provider } from "./types.js";

/** What a probe needs of the engine: its clock, its store and where samples go. */
export interface ProbeTarget {
  readonly provider: Provider;
  readonly clock: Clock;
  readonly offsets: OffsetStore;
  sample(obs: Observation): OffsetEstimate | undefined;
}

export interface ProbeRequest {
  /** Any URL of the endpoint: its root is probed. */
  url: string;
  /** The offset store's key of the endpoint. */
  host: string;
  /** Names the probe in events. */
  operation: string;
  /** A probe that takes longer is abandoned; the caller signs on what is known. */
  timeoutMs: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * After a probe that taught nothing (no answer, no `Date`), the endpoint is not probed again
 * for this long: signing 50 URLs in a row for an endpoint without `Date` costs one probe, not
 * fifty, and one that never answers costs one timeout.
 */
export const PROBE_RETRY_AFTER_MS = 60_000;

/** Fruitless endpoints remembered at once, per store; the oldest is forgotten first. */
const MAX_FRUITLESS = 1_000;

interface ProbeState {
  pending?: Promise<void>;
  /** Local clock ms of the last probe that taught nothing. */
  fruitlessAt?: number;
}

/** Probes in flight and recent fruitless ones, per offset store: engines sharing a store share probes. */
const states = new WeakMap<OffsetStore, Map<string, ProbeState>>();

/**
 * Reads an endpoint's clock with one unauthenticated `HEAD` of its root, once: concurrent
 * callers for a host share the probe; a host whose probe taught nothing is left alone for
 * `PROBE_RETRY_AFTER_MS`. Whatever the status (403, 404, 400), the answer carries the server's
 * `Date`, and nothing secret is sent; redirects are not followed (the answer is the endpoint's
 * own). Never throws.
 */
export function probeServerClock(target: ProbeTarget, request: ProbeRequest): Promise<void> {
  let byHost = states.get(target.offsets);
  if (!byHost) {
    byHost = new Map();
    states.set(target.offsets, byHost);
  }
  const state = byHost.get(request.host);
  if (state?.pending) return state.pending;
  const now = target.clock.now();
  if (state?.fruitlessAt !== undefined && now - state.fruitlessAt < PROBE_RETRY_AFTER_MS) {
    return Promise.resolve();
  }
  const pending = sendProbe(target, request).then((taught) => {
    const map = byHost;
    if (taught) {
      map.delete(request.host);
      return;
    }
    map.delete(request.host);
    map.set(request.host, { fruitlessAt: target.clock.now() });
    for (const oldest of map.keys()) {
      if (map.size <= MAX_FRUITLESS) break;
      map.delete(oldest);
    }
  });
  byHost.set(request.host, { ...state, pending });
  return pending;
}

async function sendProbe(target: ProbeTarget, request: ProbeRequest): Promise<boolean> {
  const doFetch = request.fetch ?? globalThis.fetch;
  const sentAt = target.clock.now();
  let response: Response;
  try {
    response = await doFetch(new URL("/", request.url), {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch {
    return false;
  }
  const estimate = target.sample({
    provider: target.provider,
    host: request.host,
    operation: request.operation,
    sentAt,
    receivedAt: target.clock.now(),
    status: response.status,
    headers: toHeaderMap(response.headers),
  });
  return estimate !== undefined;
}
