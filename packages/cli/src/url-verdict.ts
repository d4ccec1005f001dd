import { CATALOGUE, type OffsetEstimate } from "@skewguard/diagnosis";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "@skewguard/diagnosis/adapter";
import { describeOffset, formatDuration } from "./format.js";
import type { SignedUrlFacts } from "./signed-url.js";

/**
 * Whether a signed URL works now, by this machine's clock and by the server's, and why they
 * disagree. The server's clock is the one that counts; this machine's is the one the signer used
 * if the URL was made here.
 */

/** A URL's standing at one instant. */
export type UrlState = "valid" | "expired" | "not-yet-valid";

/** Stable names (JSON output). */
export type UrlVerdict =
  | "valid"
  | "expired"
  | "not-yet-valid"
  | "expired-by-server-clock"
  | "not-yet-valid-by-server-clock"
  | "valid-by-server-clock"
  | "malformed";

export interface ClockView {
  nowMs: number;
  state: UrlState;
  /** Until expiry (negative: since). */
  remainingMs?: number;
  /** Until the URL becomes valid, when it is not yet. */
  validInMs?: number;
}

export interface UrlJudgement {
  verdict: UrlVerdict;
  healthy: boolean;
  summary: string;
  local: ClockView;
  server?: ClockView;
  fixes: string[];
  deadEnds: string[];
  notes: string[];
}

export function judgeUrl(
  facts: SignedUrlFacts,
  localNow: number,
  estimate: OffsetEstimate | undefined,
): UrlJudgement {
  const local = viewAt(facts, localNow);
  const server = estimate ? viewAt(facts, localNow + estimate.offsetMs) : undefined;
  const verdict = verdictOf(facts, local, server);
  const judgement: UrlJudgement = {
    verdict,
    healthy: verdict === "valid" || verdict === "valid-by-server-clock",
    summary: summaryOf(verdict, facts, local, server, estimate),
    local,
    fixes: [...fixesOf(verdict)],
    deadEnds: [...deadEndsOf(verdict)],
    notes: notesOf(facts, local, server, estimate),
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
  estimate: OffsetEstimate | undefined,
): string {
  const clock = estimate ? ` (this clock is ${describeOffset(estimate.offsetMs)})` : "";
  const by = server
    ? "by the server's clock"
    : "by this machine's clock (the server's was not measured)";
  const view = server ?? local;
  switch (verdict) {
    case "malformed":
      return `The URL is malformed: ${facts.problems.join("; ")}.`;
    case "valid":
      return view.remainingMs === undefined
        ? `Valid ${by}.`
        : `Valid ${by}, for ${formatDuration(view.remainingMs)} more.`;
    case "expired":
      return `Expired ${formatDuration(-(view.remainingMs ?? 0))} ago ${by}.`;
    case "not-yet-valid":
      return `Not valid yet ${by}: it becomes valid in ${formatDuration(view.validInMs ?? 0)}.`;
    case "expired-by-server-clock":
      return `Expired only by the server's clock${clock}: by the server's clock it expired ${formatDuration(-(view.remainingMs ?? 0))} ago, while this machine's clock gives it ${formatDuration(local.remainingMs ?? 0)} more.`;
    case "not-yet-valid-by-server-clock":
      return `Not valid yet by the server's clock${clock}: it starts in ${formatDuration(view.validInMs ?? 0)} by the server's clock, although this machine's clock says it is valid.`;
    case "valid-by-server-clock":
      return `Valid by the server's clock, for ${formatDuration(view.remainingMs ?? 0)} more, though this machine's clock${clock} says it is ${local.state === "expired" ? "expired" : "not valid yet"}.`;
  }
}

const CLOCK_VERDICTS: ReadonlySet<UrlVerdict> = new Set([
  "expired-by-server-clock",
  "not-yet-valid-by-server-clock",
  "valid-by-server-clock",
]);

function fixesOf(verdict: UrlVerdict): readonly string[] {
  if (verdict === "malformed") {
    return ["Sign the URL again with the SDK's own signer; do not edit a signed URL by hand"];
  }
  if (verdict === "valid") return [];
  const url =
    verdict === "not-yet-valid" || verdict === "not-yet-valid-by-server-clock"
      ? CATALOGUE["presigned-not-yet-valid"]
      : CATALOGUE["presigned-expired"];
  if (!CLOCK_VERDICTS.has(verdict)) return url.fixes;
  return [...CATALOGUE["clock-behind"].fixes.slice(0, 2), ...url.fixes];
}

function deadEndsOf(verdict: UrlVerdict): readonly string[] {
  if (verdict === "valid" || verdict === "malformed") return [];
  if (verdict === "not-yet-valid" || verdict === "not-yet-valid-by-server-clock") {
    return CATALOGUE["presigned-not-yet-valid"].deadEnds;
  }
  return CATALOGUE["presigned-expired"].deadEnds;
}

/** What a careful reader would point out even when the verdict is fine. */
function notesOf(
  facts: SignedUrlFacts,
  local: ClockView,
  server: ClockView | undefined,
  estimate: OffsetEstimate | undefined,
): string[] {
  const notes: string[] = [];
  if (!estimate)
    notes.push("The server's clock was not measured: the verdict uses this machine's clock.");
  const threshold = DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS;
  if (estimate && Math.abs(estimate.offsetMs) >= threshold) {
    notes.push(
      `This machine's clock is ${describeOffset(estimate.offsetMs)}: URLs signed here ${estimate.offsetMs > 0 ? `live ${formatDuration(estimate.offsetMs)} less than asked` : "are dated in the server's future"}.`,
    );
  }
  if (server && facts.signedAtMs !== undefined && facts.signedAtMs - server.nowMs > threshold) {
    notes.push(
      `It was signed ${formatDuration(facts.signedAtMs - server.nowMs)} in the server's future: the clock that signed it is ahead.`,
    );
  }
  if (facts.keyExpiresAtMs !== undefined && facts.keyExpiresAtMs < (server ?? local).nowMs) {
    notes.push("The user delegation key (ske) has expired: the SAS fails whatever its own expiry.");
  }
  return notes;
}
