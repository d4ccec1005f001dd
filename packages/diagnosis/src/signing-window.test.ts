import { describe, expect, it } from "vitest";
import { isSkewguardError } from "./errors.js";
import { DEFAULT_START_MARGIN_MS, signingWindow, startMarginMs } from "./signing-window.js";

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const MINUTE = 60_000;

describe("signingWindow", () => {
  it("shifts the times the caller gave by the offset: the lifetime is kept on the server's clock", () => {
    const window = signingWindow(
      { startsAtMs: NOW - MINUTE, expiresAtMs: NOW + 10 * MINUTE },
      { nowMs: NOW, offsetMs: 20 * MINUTE, known: true },
    );
    expect(window).toEqual({ startsAtMs: NOW + 19 * MINUTE, expiresAtMs: NOW + 30 * MINUTE });
  });

  it("with no start and a known server clock: starts the margin before the server's now", () => {
    const clock = { nowMs: NOW, offsetMs: -20 * MINUTE, known: true };
    expect(signingWindow({ expiresAtMs: NOW + 10 * MINUTE }, clock)).toEqual({
      startsAtMs: NOW - 20 * MINUTE - DEFAULT_START_MARGIN_MS,
      expiresAtMs: NOW - 10 * MINUTE,
    });
    expect(signingWindow({}, clock, 0)).toEqual({ startsAtMs: NOW - 20 * MINUTE });
  });

  it("with no start and nothing known: no start, as the SDKs sign it", () => {
    expect(
      signingWindow({ expiresAtMs: NOW + MINUTE }, { nowMs: NOW, offsetMs: 0, known: false }),
    ).toEqual({ expiresAtMs: NOW + MINUTE });
  });

  it("refuses a margin that is not a finite number >= 0 with a typed error", () => {
    const clock = { nowMs: NOW, offsetMs: 0, known: true };
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "900000"]) {
      let caught: unknown;
      try {
        signingWindow({}, clock, bad as number);
      } catch (error) {
        caught = error;
      }
      expect(isSkewguardError(caught) && caught.code).toBe("SKEWGUARD_INVALID_OPTION");
    }
    expect(() => startMarginMs(-5, "sasStartMarginMs")).toThrow(/sasStartMarginMs/);
    expect(startMarginMs(undefined)).toBe(DEFAULT_START_MARGIN_MS);
    expect(startMarginMs(0)).toBe(0);
  });
});
