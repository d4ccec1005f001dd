/**
 * The test server's own clock (the real clock plus an offset that tests move at runtime) and the
 * `Date` header it derives from it, including the broken `Date` headers seen in the field.
 */

export interface ServerClock {
  /** Server time in milliseconds: the real clock plus the offset. */
  now(): number;
  readonly offsetMs: number;
  setOffset(offsetMs: number): void;
}

export function createServerClock(offsetMs = 0, realNow: () => number = Date.now): ServerClock {
  let offset = offsetMs;
  return {
    now: () => realNow() + offset,
    get offsetMs() {
      return offset;
    },
    setOffset(next: number) {
      offset = next;
    },
  };
}

/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`): whole seconds, as every HTTP server sends. */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

/** `2015-06-04T22:26:16Z`: the whole-second ISO form S3 uses for `ServerTime` and `Expires`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * How the `Date` response header misbehaves:
 * - `normal`: the server clock, on every response.
 * - `missing`: no `Date` at all (some proxies and embedded servers).
 * - `malformed`: `Date: not a date`.
 * - `far-future`: the server clock with the year set to 2099, on every response.
 * - `far-future-on-errors`: 2099 on error responses only, the real clock on successes (a broken
 *   error page in front of a healthy store).
 * - `with-age`: a cached response: `Age: <ageSeconds>` and a `Date` that many seconds old, so
 *   `Date + Age` is the server's now, as with a real cache.
 * - `duplicated`: two `Date` headers, the server clock and one a day later (Node's client joins
 *   them into one unparseable value).
 */
export type DateHeaderMode =
  | "normal"
  | "missing"
  | "malformed"
  | "far-future"
  | "far-future-on-errors"
  | "with-age"
  | "duplicated";

export const DATE_HEADER_MODES: readonly DateHeaderMode[] = [
  "normal",
  "missing",
  "malformed",
  "far-future",
  "far-future-on-errors",
  "with-age",
  "duplicated",
];

function farFuture(ms: number): string {
  const date = new Date(ms);
  date.setUTCFullYear(2099);
  return httpDate(date.getTime());
}

/** The headers a response carries for the chosen mode; an empty list means no `Date`. */
export function dateHeaders(
  mode: DateHeaderMode,
  serverNowMs: number,
  isError: boolean,
  ageSeconds = 100,
): Array<[string, string | string[]]> {
  switch (mode) {
    case "normal":
      return [["Date", httpDate(serverNowMs)]];
    case "missing":
      return [];
    case "malformed":
      return [["Date", "not a date"]];
    case "far-future":
      return [["Date", farFuture(serverNowMs)]];
    case "far-future-on-errors":
      return [["Date", isError ? farFuture(serverNowMs) : httpDate(serverNowMs)]];
    case "with-age":
      return [
        ["Date", httpDate(serverNowMs - ageSeconds * 1000)],
        ["Age", String(ageSeconds)],
      ];
    case "duplicated":
      return [["Date", [httpDate(serverNowMs), httpDate(serverNowMs + 86_400_000)]]];
  }
}
