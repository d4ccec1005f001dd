import { CATALOGUE } from "./catalogue.js";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
import { describeOffset, formatDuration } from "./format.js";
import type { SignedUrlFacts } from "./signed-url.js";

/**
 * Whether a signed URL works now, by this machine's clock and by the server's, and why they
 * disagree. The server's clock is the one that counts; this machine's is the one the signer
 * used if the URL was made here.
 */

/** A URL's standing at one instant. */
export type UrlState = "valid" | "expired" | "not-yet-valid";

/** Stable names (the command's JSON output). */
export type UrlVerdict =
  | "valid"
  | "expired"
  | "not-yet-valid"
  | "expired-by-server-clock"
  | "not-yet-valid-by-server-clock"
  | "valid-by-server-clock"
  | "malformed";

/** The URL as seen from one clock. */
export interface ClockView {
  /** That clock's now, ms since the epoch. */
  nowMs: number;
  state: UrlState;
  /** Until expiry (negative: since); absent when the URL states no expiry. */
  remainingMs?: number;
  /** Until the URL becomes valid, when it is not yet. */
  validInMs?: number;
}

export interface UrlJudgement {
  verdict: UrlVerdict;
  /** True when the server accepts the URL's times (by its clock when known). */
  healthy: boolean;
  /** One sentence a person can act on. */
  summary: string;
  local: ClockView;
  /** Present when the server's offset was given. */
  server?: ClockView;
  fixes: string[];
  deadEnds: string[];
  /** What a careful reader would point out even when the verdict is fine. */
  notes: string[];
}

export interface JudgeSignedUrlInput {
  /** This machine's clock now, ms since the epoch (`clock.now()`). */
  localNowMs: number;
  /**
   * The server's clock minus this machine's, ms (an `OffsetEstimate`'s `offsetMs`), when it was
   * read. Without it the verdict is by this machine's clock alone, and says so.
   */
  offsetMs?: number | undefined;
  /**
   * A clock at least this far off the server's, or a URL signed at least this far in the
   * server's future, earns a note.
   * @default 60_000
   */
  possibleSkewThresholdMs?: number;
}

/** Verdicts where the two clocks disagree: the clock is the cause. */
const CLOCK_VERDICTS: ReadonlySet<UrlVerdict> = new Set([
  "expired-by-server-clock",
  "not-yet-valid-by-server-clock",
  "valid-by-server-clock",
]);

/**
 * Judges a parsed signed URL at one instant by this machine's clock and, when the offset is
 * known, by the server's: the verdict, a summary, fixes, dead ends and notes. Pure: the time
 * comes in `input`, nothing reads a clock.
 *
 * @example
 * ```ts
 * const offsetMs = offsets.get(host)?.offsetMs; // or a measured OffsetEstimate's
 * const j = judgeSignedUrl(parseSignedUrl(url), { localNowMs: clock.now(), offsetMs });
 * // j.verdict: "expired-by-server-clock", j.healthy: false,
 * // j.summary: "Expired only by the server's clock (this clock is 20m 0s behind the server's): ..."
 * ```
 */
export function judgeSignedUrl(facts: SignedUrlFacts, input: JudgeSignedUrlInput): UrlJudgement {
  const { localNowMs, offsetMs } = input;
  const local = viewAt(facts, localNowMs);
  const server = offsetMs === undefined ? undefined : viewAt(facts, localNowMs + offsetMs);
  const verdict = verdictOf(facts, local, server);
  const judgement: UrlJudgement = {
    verdict,
    healthy: verdict === "valid" || verdict === "valid-by-server-clock",
    summary: summaryOf(verdict, facts, local, server, offsetMs),
    local,
    fixes: [...fixesOf(verdict)],
    deadEnds: [...deadEndsOf(verdict)],
    notes: notesOf(facts, local, server, offsetMs, input.possibleSkewThresholdMs),
  };
  if (server) judgement.server = server;
  return judgement;
}

function viewAt(facts: SignedUrlFacts, nowMs: number): ClockView {
  const view: ClockView = { nowMs, state: "valid" };
  if (facts.expiresAtMs !== undefined) view.remainingMs = facts.expiresAtMs - nowMs;
  const notBefore = notBeforeMs(facts);
  if (notBefore !== undefined && nowMs < notBefore) {
    view.state = "not-yet-valid";
    view.validInMs = notBefore - nowMs;
  } else if (view.remainingMs !== undefined && view.remainingMs < 0) {
    view.state = "expired";
  }
  return view;
}

/** SAS `st` holds exactly; a SigV4 signing time may lie up to 15 minutes in the server's future. */
function notBeforeMs(facts: SignedUrlFacts): number | undefined {
  if (facts.startsAtMs !== undefined) return facts.startsAtMs;
  if (facts.signedAtMs !== undefined) return facts.signedAtMs - facts.futureAllowanceMs;
  return undefined;
}

function verdictOf(facts: SignedUrlFacts, local: ClockView, server?: ClockView): UrlVerdict {
  if (facts.problems.length > 0) return "malformed";
  if (!server || server.state === local.state) return local.state;
  if (server.state === "valid") return "valid-by-server-clock";
  if (local.state === "valid") {
    return server.state === "expired" ? "expired-by-server-clock" : "not-yet-valid-by-server-clock";
  }
  return server.state;
}

function summaryOf(
  verdict: UrlVerdict,
  facts: SignedUrlFacts,
  local: ClockView,
  server: ClockView | undefined,
  offsetMs: number | undefined,
): string {
  const clock = offsetMs === undefined ? "" : ` (this clock is ${describeOffset(offsetMs)})`;
  const by = server
    ? "by the server's clock"
    : "by this machine's clock (the server's was not measured)";
  const view = server ?? local;
  const more = (remainingMs: number | undefined) =>
    remainingMs === undefined ? "" : `, for ${formatDuration(remainingMs)} more`;
  switch (verdict) {
    case "malformed":
      return `The URL is malformed: ${facts.problems.join("; ")}.`;
    case "valid":
      return `Valid ${by}${more(view.remainingMs)}.`;
    case "expired":
      return `Expired ${formatDuration(view.remainingMs ?? 0)} ago ${by}.`;
    case "not-yet-valid":
      return `Not valid yet ${by}: it becomes valid in ${formatDuration(view.validInMs ?? 0)}.`;
    case "expired-by-server-clock":
      return `Expired only by the server's clock${clock}: by the server's clock it expired ${formatDuration(view.remainingMs ?? 0)} ago, while this machine's clock gives it ${formatDuration(local.remainingMs ?? 0)} more.`;
    case "not-yet-valid-by-server-clock":
      return `Not valid yet by the server's clock${clock}: it starts in ${formatDuration(view.validInMs ?? 0)} by the server's clock, although this machine's clock says it is valid.`;
    case "valid-by-server-clock":
      return `Valid by the server's clock${more(view.remainingMs)}, though this machine's clock${clock} says it is ${local.state === "expired" ? "expired" : "not valid yet"}.`;
  }
}

function fixesOf(verdict: UrlVerdict): readonly string[] {
  if (verdict === "malformed") {
    return ["Sign the URL again with the SDK's own signer; do not edit a signed URL by hand"];
  }
  if (verdict === "valid") return [];
  const entry = isNotYet(verdict)
    ? CATALOGUE["presigned-not-yet-valid"]
    : CATALOGUE["presigned-expired"];
  if (!CLOCK_VERDICTS.has(verdict)) return entry.fixes;
  return [...CATALOGUE["clock-behind"].fixes.slice(0, 2), ...entry.fixes];
}

function deadEndsOf(verdict: UrlVerdict): readonly string[] {
  if (verdict === "valid" || verdict === "malformed") return [];
  return isNotYet(verdict)
    ? CATALOGUE["presigned-not-yet-valid"].deadEnds
    : CATALOGUE["presigned-expired"].deadEnds;
}

function isNotYet(verdict: UrlVerdict): boolean {
  return verdict === "not-yet-valid" || verdict === "not-yet-valid-by-server-clock";
}

function notesOf(
  facts: SignedUrlFacts,
  local: ClockView,
  server: ClockView | undefined,
  offsetMs: number | undefined,
  thresholdMs = DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS,
): string[] {
  const notes: string[] = [];
  if (offsetMs === undefined) {
    notes.push("The server's clock was not measured: the verdict uses this machine's clock.");
  } else if (Math.abs(offsetMs) >= thresholdMs) {
    const effect =
      offsetMs > 0
        ? `live ${formatDuration(offsetMs)} less than asked`
        : "are dated in the server's future";
    notes.push(`This machine's clock is ${describeOffset(offsetMs)}: URLs signed here ${effect}.`);
  }
  if (server && facts.signedAtMs !== undefined && facts.signedAtMs - server.nowMs > thresholdMs) {
    notes.push(
      `It was signed ${formatDuration(facts.signedAtMs - server.nowMs)} in the server's future: the clock that signed it is ahead.`,
    );
  }
  if (facts.keyExpiresAtMs !== undefined && facts.keyExpiresAtMs < (server ?? local).nowMs) {
    notes.push("The user delegation key (ske) has expired: the SAS fails whatever its own expiry.");
  }
  return notes;
}
