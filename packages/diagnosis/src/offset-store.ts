import { systemClock } from "./clock.js";
import { DEFAULT_MAX_CORRECTION_MS, addSample } from "./estimator.js";
import type { EstimatorOptions, EstimatorSample, EstimatorState } from "./estimator.js";
import type { Clock, OffsetEstimate, SampleOutcome } from "./types.js";

export interface OffsetStoreOptions {
  /**
   * Endpoints remembered at once; the least recently used is forgotten first, so a process
   * that talks to many hosts (one per bucket, virtual-hosted style) stays bounded.
   * @default 1000
   */
  maxHosts?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Tuning for every endpoint's estimator. @default the estimator's defaults */
  estimator?: EstimatorOptions;
}

/** @see OffsetStoreOptions.maxHosts */
export const DEFAULT_MAX_HOSTS = 1000;

export interface ObserveResult {
  outcome: SampleOutcome;
  /** The estimate after the sample, if the endpoint has one. */
  estimate?: OffsetEstimate;
  /** The estimate before the sample, if there was one. */
  previous?: OffsetEstimate;
  /** The sample's reading is one the server itself has shown false. */
  refuted?: true;
}

/**
 * A reading beyond the correction bound that an endpoint's answers gave and that nothing has
 * confirmed yet: it is not signed with (see `addSample`).
 */
export interface HeldCorrection {
  /** Its midpoint: server minus local, ms. */
  offsetMs: number;
  lowMs: number;
  highMs: number;
  /** Answers that agreed on it so far. */
  agreeing: number;
  /** Local clock ms when a request signed on it was refused, though not as skewed. */
  triedAt?: number;
  /** Local clock ms of the last answer that gave it. */
  at: number;
}

/** The store's key for an endpoint: `host[:port]`, case-insensitive as DNS names are. */
export function normalizeHost(host: string): string {
  // Every signed request asks for its host's key several times, nearly always the same host's.
  if (host === lastHost) return lastKey;
  const key = host.trim().toLowerCase();
  lastHost = host;
  lastKey = key;
  return key;
}
let lastHost = "";
let lastKey = "";

/** One learned offset per endpoint, bounded in size. */
export class OffsetStore {
  readonly #states = new Map<string, EstimatorState>();
  /** The key inserted last (the map's most recently used), while it is in the map. */
  #newest: string | undefined;
  readonly #maxHosts: number;
  readonly #clock: Clock;
  readonly #estimator: EstimatorOptions | undefined;

  constructor(options: OffsetStoreOptions = {}) {
    this.#maxHosts = Math.max(1, Math.floor(options.maxHosts ?? DEFAULT_MAX_HOSTS));
    this.#clock = options.clock ?? systemClock;
    this.#estimator = options.estimator;
  }

  /** The largest correction one answer may make (the estimator's `maxCorrectionMs`), ms. */
  get maxCorrectionMs(): number {
    return this.#estimator?.maxCorrectionMs ?? DEFAULT_MAX_CORRECTION_MS;
  }

  get size(): number {
    return this.#states.size;
  }

  get(host: string): OffsetEstimate | undefined {
    return this.#touch(normalizeHost(host))?.estimate;
  }

  /** Like `get`, without marking the entry as used: for hot paths that only look. */
  peek(host: string): OffsetEstimate | undefined {
    return this.#states.get(normalizeHost(host))?.estimate;
  }

  /** The reading beyond the correction bound this endpoint's answers gave, while it is held. */
  held(host: string): HeldCorrection | undefined {
    const pending = this.#states.get(normalizeHost(host))?.pending;
    if (pending?.beyondBound !== true) return undefined;
    return {
      offsetMs: (pending.lowMs + pending.highMs) / 2,
      lowMs: pending.lowMs,
      highMs: pending.highMs,
      agreeing: pending.agreeing ?? 1,
      ...(pending.triedAt === undefined ? {} : { triedAt: pending.triedAt }),
      at: pending.at,
    };
  }

  /** Server minus local for this endpoint, ms; 0 while nothing is known. */
  offsetMs(host: string): number {
    return this.get(host)?.offsetMs ?? 0;
  }

  /**
   * Takes one response's timing into the endpoint's estimate (see `addSample`).
   * @param corroborated the server itself called the request skewed, so a step is taken at once.
   */
  observe(host: string, sample: EstimatorSample, corroborated?: boolean): ObserveResult {
    const key = normalizeHost(host);
    const state = this.#touch(key) ?? {};
    const result = addSample(state, sample, this.#clock.now(), this.#estimator, corroborated);
    if (result.state !== state) this.#put(key, result.state);
    const observed: ObserveResult = { outcome: result.outcome };
    if (result.refuted) observed.refuted = true;
    if (result.state.estimate !== undefined) observed.estimate = result.state.estimate;
    if (state.estimate !== undefined) observed.previous = state.estimate;
    return observed;
  }

  /** Replaces what is known of an endpoint (seeding, tests). */
  set(host: string, estimate: OffsetEstimate): void {
    this.#put(normalizeHost(host), { estimate });
  }

  delete(host: string): boolean {
    const key = normalizeHost(host);
    if (key === this.#newest) this.#newest = undefined;
    return this.#states.delete(key);
  }

  clear(): void {
    this.#states.clear();
    this.#newest = undefined;
  }

  /** Reads an entry and marks it most recently used (a Map iterates in insertion order). */
  #touch(key: string): EstimatorState | undefined {
    const state = this.#states.get(key);
    // Re-inserting costs a map deletion on every signed request; the endpoint a client talks
    // to is almost always the one it used last, and that one needs no move.
    if (state !== undefined && key !== this.#newest) {
      this.#states.delete(key);
      this.#states.set(key, state);
      this.#newest = key;
    }
    return state;
  }

  #put(key: string, state: EstimatorState): void {
    this.#states.delete(key);
    this.#states.set(key, state);
    this.#newest = key;
    for (const oldest of this.#states.keys()) {
      if (this.#states.size <= this.#maxHosts) break;
      this.#states.delete(oldest);
    }
  }
}

/**
 * Kept on `globalThis` under a registered symbol, so the ESM and CJS builds, and separate
 * copies of this major version installed by different adapters, share one store: a skew one
 * client learns heals every other client of that endpoint in the process.
 */
const DEFAULT_STORE_KEY = Symbol.for("skewguard.offsetStore.v1");

/** The process-wide store every client and provider uses unless given its own. */
export function getDefaultOffsetStore(): OffsetStore {
  const holder = globalThis as { [DEFAULT_STORE_KEY]?: OffsetStore };
  holder[DEFAULT_STORE_KEY] ??= new OffsetStore();
  return holder[DEFAULT_STORE_KEY];
}
