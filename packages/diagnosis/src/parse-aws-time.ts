import { parseAmzDate } from "./signing-diff.js";

/**
 * The one-line clock complaints of AWS's JSON and query protocols (DynamoDB, Lambda, SQS, STS,
 * KMS...), which carry both clocks and the window:
 * `Signature expired: 20231020T101500Z is now earlier than 20231020T102501Z (20231020T103001Z - 5 min.)`
 * and `Signature not yet current: X is still later than Y (Z + 5 min.)`. The time in brackets is
 * the server's; the first is the request's.
 */
export interface AwsTimeComplaint {
  requestTimeMs: number;
  serverTimeMs: number;
  windowMs: number;
  /** `expired`: the request is older than the window allows; `not-yet-current`: newer. */
  kind: "expired" | "not-yet-current";
}

const EXPIRED =
  /Signature expired: (\d{8}T\d{6}Z) is now earlier than \d{8}T\d{6}Z \((\d{8}T\d{6}Z) - (\d{1,3}) min\.?\)/;
const NOT_YET =
  /Signature not yet current: (\d{8}T\d{6}Z) is still later than \d{8}T\d{6}Z \((\d{8}T\d{6}Z) \+ (\d{1,3}) min\.?\)/;

/** The complaint in `text`, or undefined. Never throws. */
export function readAwsTimeComplaint(text: string | undefined): AwsTimeComplaint | undefined {
  if (typeof text !== "string") return undefined;
  for (const [pattern, kind] of [
    [EXPIRED, "expired"],
    [NOT_YET, "not-yet-current"],
  ] as const) {
    const m = pattern.exec(text);
    if (!m) continue;
    const requestTimeMs = parseAmzDate(m[1]);
    const serverTimeMs = parseAmzDate(m[2]);
    if (requestTimeMs === undefined || serverTimeMs === undefined) continue;
    return { requestTimeMs, serverTimeMs, windowMs: Number(m[3]) * 60_000, kind };
  }
  return undefined;
}
