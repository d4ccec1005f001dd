import type { Clock } from "./types.js";

/**
 * The process's wall clock. This is the only place in the package that reads `Date.now()`:
 * everything else takes an injected `Clock`, so every behaviour can be driven by a fake one.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
});

/**
 * 2026-11-01T00:00:00Z. No correct clock can read earlier than the day this release was
 * built, so a local clock below it is provably wrong (a board without a real-time clock that
 * booted in 1970, a VM restored from an old snapshot) and its offset to a server may be large.
 */
export const RELEASE_TIME_MS = 1_793_491_200_000;

/** Whether a clock reading could be true, as far as this release can tell (see `RELEASE_TIME_MS`). */
export function isPlausibleLocalTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= RELEASE_TIME_MS;
}
