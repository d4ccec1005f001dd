import { utcEpochMs } from "./http-date.js";

/**
 * ISO 8601 times as storage services write them in error bodies: S3's `ServerTime`
 * (`2026-11-23T10:00:00Z`, sometimes with millis), SigV4's compact `20261123T100000Z`
 * (`RequestTime`), Azure's `Time:` with 7 fractional digits, GCS's `+00:00` offsets.
 */

/** An instant and how finely the text stated it: the true time lies in [ms, ms + resolutionMs). */
export interface TimeReading {
  ms: number;
  resolutionMs: number;
}

/** Far longer than any form above; longer text is not a time. */
const MAX_ISO_LENGTH = 40;

const EXTENDED =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * SigV4's and GOOG4's compact `20261123T100000Z` (`X-Amz-Date`, `X-Goog-Date`, a credential
 * scope's time) to epoch ms; undefined when malformed or impossible. Never throws.
 */
export function parseAmzDate(value: string | undefined): number | undefined {
  if (typeof value !== "string" || value.length > MAX_ISO_LENGTH) return undefined;
  const compact = COMPACT.exec(value.trim());
  return compact ? epochFromMatch(compact) : undefined;
}

/** Reads one ISO 8601 time, or undefined for anything malformed or impossible (never throws). */
export function parseIsoTime(value: string | undefined): TimeReading | undefined {
  if (typeof value !== "string" || value.length > MAX_ISO_LENGTH) return undefined;
  const text = value.trim();
  const compact = COMPACT.exec(text);
  if (compact) {
    const ms = epochFromMatch(compact);
    return ms === undefined ? undefined : { ms, resolutionMs: 1000 };
  }
  const extended = EXTENDED.exec(text);
  if (!extended) return undefined;
  const base = epochFromMatch(extended);
  const offsetMs = zoneOffsetMs(extended[8]);
  if (base === undefined || offsetMs === undefined) return undefined;
  const fraction = extended[7] ?? "";
  return {
    ms: base - offsetMs + fractionMs(fraction),
    resolutionMs: fractionResolutionMs(fraction),
  };
}

function epochFromMatch(m: RegExpExecArray): number | undefined {
  return utcEpochMs(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
}

/** Digits beyond milliseconds are truncated: the reading is then exact to the millisecond. */
function fractionMs(fraction: string): number {
  return fraction === "" ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
}

/** "10:00:00Z" could be any instant in that second; ".1" any in that tenth; ".123" is exact. */
function fractionResolutionMs(fraction: string): number {
  if (fraction.length >= 3) return 1;
  return 10 ** (3 - fraction.length);
}

function zoneOffsetMs(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  if (zone === "Z") return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  const sign = zone.startsWith("-") ? -1 : 1;
  return sign * (hours * 60 + minutes) * 60_000;
}
