import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * libfaketime (Debian package `libfaketime`) moves the wall clock of one process it is
 * preloaded into; Debian puts it under a multiarch folder (`/usr/lib/x86_64-linux-gnu/faketime`)
 * or, on older releases, `/usr/lib/faketime`.
 */

const LIBRARY = "libfaketime.so.1";

/** The path of `libfaketime.so.1`, or `undefined` when the library is not installed. */
export function findLibfaketime(): string | undefined {
  const candidates = [join("/usr/lib/faketime", LIBRARY)];
  for (const dir of existsSync("/usr/lib") ? readdirSync("/usr/lib") : []) {
    candidates.push(join("/usr/lib", dir, "faketime", LIBRARY));
  }
  return candidates.find((path) => existsSync(path));
}

/**
 * The environment that runs a child process under libfaketime with its wall clock at `faketime`
 * (libfaketime's syntax: `+20m`, `-2h`, `@2026-12-04 10:00:00`). The monotonic clock stays real:
 * Node times its event loop and its timers on it, and a faked one stalls or races them.
 */
export function faketimeEnv(library: string, faketime: string): Record<string, string> {
  return {
    LD_PRELOAD: library,
    FAKETIME: faketime,
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  };
}
