import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/**
 * The dominance matrix: every scenario runs twice in one test, the bare SDK and the same SDK
 * with skewguard, against a testkit server started by the test, and each row asserts that the
 * wrapped run is never worse: success where bare succeeds, the same error where both fail (or
 * the operation's true outcome), and no more requests at the server than max(bare, 2), call by
 * call. `node scripts/dominance-matrix.mjs` runs the suite and prints the table.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** 1970-01-01T00:00:42Z: a board without a real-time clock, 42 s after it booted. */
export const BOOTED_IN_1970_MS = 42_000;

/** A client clock: how far it is from the truth (client minus true time). */
export interface Skew {
  label: string;
  /** Client clock minus true time, ms; `"1970"` for a clock that booted at the epoch. */
  clientMs: number | "1970";
  /** The server's signature window, when it is not the service's usual 15 minutes. */
  windowMs?: number;
}

/** The skews every provider runs at. */
export const SKEWS: readonly Skew[] = [
  { label: "0", clientMs: 0 },
  { label: "-3 min (2-min window)", clientMs: -3 * MINUTE, windowMs: 2 * MINUTE },
  { label: "+20 min", clientMs: 20 * MINUTE },
  { label: "-20 min", clientMs: -20 * MINUTE },
  { label: "+2 h", clientMs: 2 * HOUR },
  { label: "-2 h", clientMs: -2 * HOUR },
  { label: "+23 h", clientMs: 23 * HOUR },
  { label: "-23 h", clientMs: -23 * HOUR },
  { label: "+2 days", clientMs: 2 * DAY },
  { label: "-2 days", clientMs: -2 * DAY },
  { label: "+30 days", clientMs: 30 * DAY },
  { label: "-30 days", clientMs: -30 * DAY },
  { label: "1970", clientMs: "1970" },
];

/**
 * How a skew is staged. A clock that is merely off is staged on the server, which runs ahead
 * by as much as the client is behind: the same exchange, no process clock touched. A clock in
 * 1970 is the client's own (its absolute value matters: it is provably wrong), so the client's
 * `Date` is shifted while the row runs; the servers keep the real clock they captured.
 */
export function serverOffsetFor(skew: Skew): number {
  return skew.clientMs === "1970" ? 0 : -skew.clientMs;
}

/**
 * The client's clock as an injectable one: for a wrapped client whose server runs in this
 * process and reads the global `Date` itself (Azurite), so the global cannot be shifted.
 */
export function clientClockFor(skew: Skew): { now(): number } | undefined {
  if (skew.clientMs !== "1970") return undefined;
  const realNow = Date.now;
  const shiftMs = BOOTED_IN_1970_MS - realNow();
  return { now: () => realNow() + shiftMs };
}

/** Runs `fn` with this process's `Date` reading 1970 for a `"1970"` skew (the client's clock). */
export async function withClientClock<T>(skew: Skew, fn: () => Promise<T>): Promise<T> {
  if (skew.clientMs !== "1970") return fn();
  const RealDate = Date;
  const shiftMs = BOOTED_IN_1970_MS - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + shiftMs);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return RealDate.now() + shiftMs;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

/**
 * One call as the server counted it: its outcome (`ok` or the error's name) and its attempts:
 * the requests it sent, or, for a call made of several exchanges (a GCS token grant, then the
 * API request), the most any one exchange took.
 */
export interface CallResult {
  outcome: string;
  attempts: number;
}

export interface Row {
  provider: "s3" | "azure" | "gcs";
  /** The client configuration (S3: maxAttempts, retry mode, strategy). */
  config: string;
  scenario: string;
  op: string;
  /** What the operation should give on a healthy clock: `ok` or an error name. */
  truth: string;
  bare: CallResult[];
  wrapped: CallResult[];
}

/** Runs `calls` calls in a row, counting what reached the server for each. */
export async function runCalls(
  calls: number,
  attemptsSoFar: () => number | readonly number[],
  call: (i: number) => Promise<unknown>,
  outcomeOf: (error: unknown) => string = errorName,
): Promise<CallResult[]> {
  const counts = () => [attemptsSoFar()].flat();
  const results: CallResult[] = [];
  for (let i = 0; i < calls; i++) {
    const before = counts();
    const outcome = await call(i).then(
      () => "ok",
      (error: unknown) => outcomeOf(error),
    );
    const after = counts();
    const attempts = Math.max(...after.map((n, k) => n - (before[k] ?? 0)));
    results.push({ outcome, attempts });
  }
  return results;
}

export function errorName(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | null;
  if (typeof e?.name === "string" && e.name !== "Error") return e.name;
  if (typeof e?.code === "string") return e.code;
  return String(e?.name ?? "Error");
}

/** Whether the wrapped call is at least as good as the bare one. */
export function noWorse(bare: CallResult, wrapped: CallResult, truth: string): boolean {
  const outcome =
    wrapped.outcome === bare.outcome || wrapped.outcome === truth || wrapped.outcome === "ok";
  return outcome && wrapped.attempts <= Math.max(bare.attempts, 2);
}

/** Records the row (for the table) and asserts it, call by call. */
export function expectNoWorse(row: Row): void {
  record(row);
  expect(row.wrapped).toHaveLength(row.bare.length);
  row.bare.forEach((bare, i) => {
    const wrapped = row.wrapped[i] as CallResult;
    const where = `${row.provider} ${row.config} ${row.scenario} ${row.op}, call ${i + 1}`;
    expect(
      noWorse(bare, wrapped, row.truth),
      `${where}: bare ${bare.outcome} in ${bare.attempts}, wrapped ${wrapped.outcome} in ${wrapped.attempts}`,
    ).toBe(true);
  });
}

/** `SKEWGUARD_MATRIX_OUT`: a directory the rows are appended to (one JSON line each). */
function record(row: Row): void {
  const dir = process.env["SKEWGUARD_MATRIX_OUT"];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${row.provider}.jsonl`), `${JSON.stringify(row)}\n`);
}
