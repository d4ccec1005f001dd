import { utcEpochMs } from "./http-date.js";
import { parseIsoTime } from "./iso-time.js";
import type { ClientEvidence } from "./types.js";

/**
 * The client's own clock, as its log stamped the lines around a failure: when it signed and
 * when the answer came back. A late send (a request signed long before it left) and a skewed
 * clock look alike from the server, which sees an old request either way; the client's log
 * tells them apart. If its clock read the server's time when the answer came, the clock was
 * right and the request waited; if it read the request's own time, the clock was off.
 *
 * Forms read at the start of a line: `2026-12-07 09:12:04,118` (Python logging),
 * `2026-12-07 14:05:09.411` (logback), `SDK 2026/12/07 10:52:14` and `2026/12/07 10:52:14`
 * (Go), `2026-12-07T10:14:57.402Z` (CloudWatch), `[2026-12-07 10:52:15]` (Monolog),
 * `[07-Dec-2026 10:31:12 UTC]` (PHP), `DEBUG 1207 20:48:05.112` (absl), `10:02:29.511` (a time of
 * day alone, as Elixir's Logger writes it); and JSON `"time"`/`"timestamp"` fields and util.inspect's
 * `time: 2026-...Z`. Most log clocks print local time with no zone: the zone is then taken from
 * the signing line (which the request's UTC time stamps too) as a whole number of quarter hours,
 * or, failing that, left unknown, and readings are compared modulo 15 minutes.
 */

/** One timestamp in the text. `ms` reads the wall-clock fields as if they were UTC. */
export interface LogReading {
  ms: number;
  line: number;
  /** The text said the zone (`Z`, `UTC`, `+01:00`): `ms` is true UTC. */
  zoned: boolean;
  /** Only a time of day: the date was taken from the request's. */
  timeOnly?: boolean;
}

const QUARTER_HOUR_MS = 15 * 60_000;
/** How far a signing line's stamp may be from the request's time, beyond whole quarter hours. */
const SIGNING_TOLERANCE_MS = 3_000;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Every line-start timestamp and JSON time field, in order of the lines. Never throws. */
export function readLogReadings(text: string, referenceMs?: number): LogReading[] {
  const readings: LogReading[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (index > 5000) break;
    const reading = readLineStart(line, referenceMs);
    if (reading) readings.push({ ...reading, line: index });
    for (const field of line.matchAll(
      /(?<![\w$])["']?(?:time|timestamp)["']?\s*:\s*["']?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))/g,
    )) {
      const iso = parseIsoTime(field[1]);
      if (iso) readings.push({ ms: iso.ms, line: index, zoned: true });
    }
  }
  return readings;
}

function readLineStart(
  line: string,
  referenceMs: number | undefined,
): Omit<LogReading, "line"> | undefined {
  const iso = /^\[?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))/.exec(
    line,
  );
  if (iso) {
    const read = parseIsoTime(iso[1]);
    return read ? { ms: read.ms, zoned: true } : undefined;
  }
  const local =
    /^(?:SDK )?\[?(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\]?/.exec(
      line,
    );
  if (local) {
    const ms = fields(local[1], local[2], local[3], local[4], local[5], local[6], local[7]);
    return ms === undefined ? undefined : { ms, zoned: false };
  }
  const php = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) UTC\]/.exec(line);
  if (php) {
    const month = String(MONTHS.indexOf(php[2]!) + 1);
    const ms = fields(php[3], month, php[1], php[4], php[5], php[6], undefined);
    return ms === undefined ? undefined : { ms, zoned: true };
  }
  const absl = /^[A-Z]+ (\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\b/.exec(line);
  if (absl && referenceMs !== undefined) {
    const year = String(new Date(referenceMs).getUTCFullYear());
    const ms = fields(year, absl[1], absl[2], absl[3], absl[4], absl[5], absl[6]);
    return ms === undefined ? undefined : { ms, zoned: false };
  }
  const clock = /^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) \[/.exec(line);
  if (clock && referenceMs !== undefined) {
    const ms = nearestTimeOfDay(referenceMs, clock);
    return { ms, zoned: false, timeOnly: true };
  }
  return undefined;
}

function fields(
  y: string | undefined,
  mo: string | undefined,
  d: string | undefined,
  h: string | undefined,
  mi: string | undefined,
  s: string | undefined,
  fraction: string | undefined,
): number | undefined {
  const base = utcEpochMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (base === undefined) return undefined;
  return base + (fraction ? Number(fraction.slice(0, 3).padEnd(3, "0")) : 0);
}

/** A time of day, on whichever date puts it nearest the reference. */
function nearestTimeOfDay(referenceMs: number, m: RegExpExecArray): number {
  const day = 86_400_000;
  const sinceMidnight =
    ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
  const midnight = Math.floor(referenceMs / day) * day;
  const candidates = [midnight - day, midnight, midnight + day].map((d) => d + sinceMidnight);
  return candidates.reduce((a, b) =>
    Math.abs(b - referenceMs) < Math.abs(a - referenceMs) ? b : a,
  );
}

/**
 * The client's clock at signing and at the response, from the readings: the signing reading is
 * the one on `signingLine` (or the last before it), the response reading the last of all.
 * `requestTimeMs` (the request's own UTC time) sets the zone of unzoned readings through the
 * signing reading. Undefined when there is no reading after the signing.
 */
export function clientClockOf(
  readings: readonly LogReading[],
  requestTimeMs: number | undefined,
  signingLine: number | undefined,
): Pick<ClientEvidence, "clockAtSigningMs" | "clockAtResponseMs" | "zoneUnknown"> | undefined {
  if (readings.length === 0) return undefined;
  const last = readings[readings.length - 1]!;
  const signing =
    signingLine === undefined
      ? undefined
      : [...readings].reverse().find((r) => r.line <= signingLine + 1);
  const zoned = last.zoned;
  let zoneMs = 0;
  let zoneUnknown = !zoned;
  if (!zoned && signing && requestTimeMs !== undefined) {
    const diff = signing.ms - requestTimeMs;
    const quarters = Math.round(diff / QUARTER_HOUR_MS);
    if (Math.abs(diff - quarters * QUARTER_HOUR_MS) <= SIGNING_TOLERANCE_MS) {
      zoneMs = quarters * QUARTER_HOUR_MS;
      zoneUnknown = false;
    }
  }
  const out: Pick<ClientEvidence, "clockAtSigningMs" | "clockAtResponseMs" | "zoneUnknown"> = {
    clockAtResponseMs: last.ms - zoneMs,
  };
  if (signing && signing !== last) out.clockAtSigningMs = signing.ms - zoneMs;
  if (zoneUnknown) out.zoneUnknown = true;
  return out;
}
