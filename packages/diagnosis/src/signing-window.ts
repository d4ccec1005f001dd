import { SkewguardError } from "./errors.js";

/**
 * With no start asked for, a URL or SAS starts this long before the server's now: other front
 * ends of a service may read slightly different clocks (Microsoft suggests 15 minutes for SAS).
 */
export const DEFAULT_START_MARGIN_MS = 15 * 60_000;

/** A validity window as the caller asked for it, on the local clock (ms since the epoch). */
export interface LocalWindow {
  startsAtMs?: number;
  expiresAtMs?: number;
}

/** What is known of the server's clock when the window is signed. */
export interface ServerClockReading {
  /** The local clock now, ms since the epoch. */
  nowMs: number;
  /** Server minus local, ms (0 when nothing is known). */
  offsetMs: number;
  /** Whether anything was learned of the server's clock (a probe or a response). */
  known: boolean;
}

/** The window to sign, on the server's clock. */
export interface SigningWindow {
  startsAtMs?: number;
  expiresAtMs?: number;
}

/**
 * The start margin to use: `value` if given, else `DEFAULT_START_MARGIN_MS`. Throws
 * `SKEWGUARD_INVALID_OPTION` for anything but a finite number >= 0, so an adapter can check the
 * option where it enters, before any probe.
 */
export function startMarginMs(value: unknown, name = "startMarginMs"): number {
  const chosen = value ?? DEFAULT_START_MARGIN_MS;
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen < 0) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_OPTION",
      `${name} must be a finite number >= 0, got ${String(value)}`,
    );
  }
  return chosen;
}

/**
 * Moves a validity window onto the server's clock. The times were computed on the local clock
 * (`Date.now() + 10 min`), so each is shifted by the offset: a window asked to last 10 minutes
 * lasts 10 minutes by the server's clock. With no start asked for, the window starts `margin`
 * before the server's now, but only when the server's clock is known; otherwise it gets no
 * start, as the SDKs sign it (a start read on a wrong local clock could lie in the future).
 */
export function signingWindow(
  window: LocalWindow,
  clock: ServerClockReading,
  margin: number = DEFAULT_START_MARGIN_MS,
): SigningWindow {
  const marginMs = startMarginMs(margin);
  const startsAtMs =
    window.startsAtMs !== undefined
      ? window.startsAtMs + clock.offsetMs
      : clock.known
        ? clock.nowMs + clock.offsetMs - marginMs
        : undefined;
  const expiresAtMs =
    window.expiresAtMs === undefined ? undefined : window.expiresAtMs + clock.offsetMs;
  return {
    ...(startsAtMs === undefined ? {} : { startsAtMs }),
    ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
  };
}
