/**
 * Input the command cannot work with (a missing argument, an unreadable file): exit code 2, so
 * scripts can tell "you called me wrong" from "I found a problem". The core's
 * `SKEWGUARD_INVALID_INPUT` (not a signed URL) exits 2 the same way (run.ts).
 */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Exit codes, stable for scripts. */
export const EXIT = { healthy: 0, problem: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
