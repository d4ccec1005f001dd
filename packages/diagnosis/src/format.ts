/**
 * How skewguard writes lengths of time and instants, in events, diagnoses, verdicts and the
 * command's output alike. One rule for every place: under a second prints whole milliseconds
 * (`450ms`), from a second up tenths of a second (`15m 0.3s`), from a day days and hours.
 */

const SECOND_MS = 1000;
const TENTHS_PER_MINUTE = 600;
const TENTHS_PER_HOUR = 36_000;
const TENTHS_PER_DAY = 864_000;

/**
 * A length of time, unsigned (the sign of `ms` is dropped): `450ms`, `2.5s`, `15m 0.3s`,
 * `2h 3m 0s`, `3d 5h`.
 *
 * @example formatDuration(450) // "450ms"
 * @example formatDuration(-900_300) // "15m 0.3s"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(Math.abs(ms));
  const abs = Math.abs(ms);
  if (Math.round(abs) < SECOND_MS) return `${Math.round(abs)}ms`;
  // Rounded once, to tenths, before splitting: 59.97 s must read "1m 0s", never "60.0s".
  const tenths = Math.round(abs / 100);
  const hours = Math.floor(tenths / TENTHS_PER_HOUR);
  if (tenths >= TENTHS_PER_DAY) return `${Math.floor(hours / 24)}d ${hours % 24}h`;
  const minutes = Math.floor((tenths % TENTHS_PER_HOUR) / TENTHS_PER_MINUTE);
  const secondTenths = tenths % TENTHS_PER_MINUTE;
  const seconds =
    secondTenths % 10 === 0 ? `${secondTenths / 10}s` : `${(secondTenths / 10).toFixed(1)}s`;
  return [hours ? `${hours}h` : "", minutes ? `${minutes}m` : "", seconds]
    .filter(Boolean)
    .join(" ");
}

/**
 * A signed length of time (a skew, an offset): `+450ms`, `-15m 0.3s`, `+0ms`. The sign is
 * always written, so a reader can drop it with `.slice(1)`.
 *
 * @example formatMs(-900_300) // "-15m 0.3s"
 */
export function formatMs(ms: number): string {
  // The sign follows what is printed: -0.4 ms reads "+0ms", never "-0ms".
  const negative = Math.abs(ms) < SECOND_MS ? Math.round(ms) < 0 : ms < 0;
  return `${negative ? "-" : "+"}${formatDuration(ms)}`;
}

/**
 * An instant as ISO 8601 in UTC (`2026-11-23T10:00:00.000Z`), or undefined for an absent or
 * impossible one (NaN, beyond the year 275760).
 */
export function formatIso(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Which way a clock is off, from an offset (server minus local): `20m 0s behind the server's`,
 * `2.5s ahead of the server's`, `in step with the server's`.
 */
export function describeOffset(offsetMs: number): string {
  if (Math.round(Math.abs(offsetMs)) === 0) return "in step with the server's";
  const amount = formatDuration(offsetMs);
  return offsetMs > 0 ? `${amount} behind the server's` : `${amount} ahead of the server's`;
}
