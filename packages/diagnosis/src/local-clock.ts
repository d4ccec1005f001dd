import { formatIso } from "./format.js";
import type { ClientEvidence } from "./types.js";

/**
 * Whether the client's own clock, when the answer came, read the server's time or the
 * request's. The server sees an old request either way; the client's reading says which:
 * reading the server's time, its clock is right and the request waited after signing; reading
 * the request's time, its clock is off by the skew.
 */
export interface LocalClockJudgement {
  agreesWith: "server" | "request";
  /** The reading, for the evidence: an ISO time, or a local time of day when the zone is unknown. */
  readingText: string;
}

const QUARTER_HOUR_MS = 15 * 60_000;
/** Below this difference between server and request there is nothing to tell apart. */
const MIN_GAP_MS = 60_000;

/** Distance from `ms` to the nearest whole number of quarter hours. */
function offQuarter(ms: number): number {
  const m = ((ms % QUARTER_HOUR_MS) + QUARTER_HOUR_MS) % QUARTER_HOUR_MS;
  return Math.min(m, QUARTER_HOUR_MS - m);
}

/** Judges the client's reading at the response against both times; undefined when it tells nothing. */
export function judgeLocalClock(
  client: ClientEvidence | undefined,
  serverMs: number | undefined,
  requestMs: number | undefined,
): LocalClockJudgement | undefined {
  const reading = client?.clockAtResponseMs;
  if (reading === undefined || serverMs === undefined || requestMs === undefined) return undefined;
  if (Math.abs(serverMs - requestMs) < MIN_GAP_MS) return undefined;
  let agreesWith: LocalClockJudgement["agreesWith"] | undefined;
  if (client?.zoneUnknown) {
    // Comparable only modulo the unknown zone: each reading must fit one time and not the other.
    const toServer = offQuarter(reading - serverMs);
    const toRequest = offQuarter(reading - requestMs);
    if (toServer <= 10_000 && toRequest >= 30_000) agreesWith = "server";
    else if (toRequest <= 10_000 && toServer >= 30_000) agreesWith = "request";
  } else {
    const toServer = Math.abs(reading - serverMs);
    const toRequest = Math.abs(reading - requestMs);
    if (toServer < MIN_GAP_MS && toServer < toRequest / 2) agreesWith = "server";
    else if (toRequest < toServer / 2 && toServer >= MIN_GAP_MS) agreesWith = "request";
  }
  if (agreesWith === undefined) return undefined;
  const readingText = client?.zoneUnknown
    ? `${new Date(reading).toISOString().slice(11, 19)} (local time, zone not stated)`
    : (formatIso(reading) ?? String(reading));
  return { agreesWith, readingText };
}
