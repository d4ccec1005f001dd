import type { S3ErrorResponse } from "./s3-errors.js";
import { isoSeconds } from "./server-clock.js";

/**
 * Misbehaviours of the S3 test server beyond its `Date` modes, for fault suites: what a broken
 * proxy, a runaway clock or a dying server does to a client.
 * - `always-skewed`: every request is refused with `RequestTimeTooSkewed` whose `ServerTime`
 *   is `aheadMs` past the time the request was signed: fresh evidence on every answer that no
 *   correction ever satisfies.
 * - `huge-error-body`: error bodies padded to `bytes` (the evidence stays in front).
 * - `truncated-error-body`: error bodies cut in the middle of the XML (the HTTP framing is
 *   intact; the document is not).
 * - `reset-after-headers`: the response headers are sent, then the connection is destroyed.
 * - `stall`: the request is read and never answered (until the server closes).
 * - `date-disagrees`: on error responses, `Date` is `byMs` off the server clock the error body
 *   reports (successes carry the true `Date`).
 */
export type S3Fault =
  | { kind: "always-skewed"; aheadMs?: number }
  | { kind: "huge-error-body"; bytes?: number }
  | { kind: "truncated-error-body" }
  | { kind: "reset-after-headers" }
  | { kind: "stall" }
  | { kind: "date-disagrees"; byMs: number };

/** The size `huge-error-body` pads to unless told: 10 MiB. */
export const S3_HUGE_ERROR_BODY_BYTES = 10 * 1024 * 1024;

/** The default `aheadMs` of `always-skewed`: 20 minutes. */
const ALWAYS_SKEWED_AHEAD_MS = 20 * 60_000;

/** A fault that applies to the next `times` requests (all of them when `times` is absent). */
export interface ActiveFault {
  fault: S3Fault;
  remaining: number;
}

export function activeFault(fault: S3Fault | undefined, times?: number): ActiveFault | undefined {
  return fault ? { fault, remaining: times ?? Number.POSITIVE_INFINITY } : undefined;
}

/** The fault this request meets, if any; counts it down. */
export function takeFault(active: ActiveFault | undefined): S3Fault | undefined {
  if (!active || active.remaining <= 0) return undefined;
  active.remaining--;
  return active.fault;
}

/** `always-skewed`'s refusal for a request signed at `signedAt` (`20150830T123600Z`). */
export function runawaySkewError(
  fault: Extract<S3Fault, { kind: "always-skewed" }>,
  signedAt: string | undefined,
  serverNowMs: number,
): S3ErrorResponse {
  const signedMs = parseAmzDate(signedAt) ?? serverNowMs;
  return {
    status: 403,
    code: "RequestTimeTooSkewed",
    message: "The difference between the request time and the current time is too large.",
    fields: [
      ["RequestTime", signedAt ?? ""],
      ["ServerTime", isoSeconds(signedMs + (fault.aheadMs ?? ALWAYS_SKEWED_AHEAD_MS))],
      ["MaxAllowedSkewMilliseconds", "900000"],
    ],
  };
}

/** The error document as the fault leaves it. */
export function faultyErrorBody(fault: S3Fault | undefined, xml: string): string {
  if (fault?.kind === "truncated-error-body") return xml.slice(0, Math.floor(xml.length / 2));
  if (fault?.kind !== "huge-error-body") return xml;
  const close = xml.lastIndexOf("</");
  const padding = Math.max(0, (fault.bytes ?? S3_HUGE_ERROR_BODY_BYTES) - xml.length - 19);
  return `${xml.slice(0, close)}<Padding>${"x".repeat(padding)}</Padding>${xml.slice(close)}`;
}

function parseAmzDate(text: string | undefined): number | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? "");
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}
