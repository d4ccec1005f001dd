import { parseHttpDate } from "./http-date.js";
import type { HeaderMap, TimeEvidence } from "./types.js";

/** `Date` states whole seconds: the true time lies anywhere in the following second. */
export function headerTime(headers: HeaderMap | undefined): TimeEvidence[] {
  const serverTimeMs = parseHttpDate(headers?.["date"]);
  if (serverTimeMs === undefined) return [];
  return [{ source: "date-header", serverTimeMs, resolutionMs: 1000, fromBody: false }];
}

/** An `Age` header: a cache answered, so its `Date` says when the origin spoke, not now. */
export function isCached(headers: HeaderMap | undefined): boolean {
  return headers?.["age"] !== undefined;
}
