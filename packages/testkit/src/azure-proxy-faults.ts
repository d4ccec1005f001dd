import type { AzureErrorShape } from "./azure-errors.js";
import type { DateHeaderMode } from "./server-clock.js";

/**
 * How the skew proxy misbehaves for the fault suite: the broken servers, front ends and
 * networks a client meets in the field, one switch each. All off by default.
 */
export interface AzureProxyFaults {
  /**
   * How the `Date` header of every response misbehaves (see `DateHeaderMode`).
   * @default "normal"
   */
  dateHeader?: DateHeaderMode;
  /**
   * The `Date` header reads the proxy's clock plus this: a front end that restamps `Date` from
   * a clock of its own, disagreeing with the body's `Time:` (which the checking server wrote).
   * @default 0
   */
  dateShiftMs?: number;
  /**
   * The `Time:` line of error bodies reads the proxy's clock plus this, so the body's evidence
   * disagrees with the `Date` header (or, with a far-future `Date`, agrees with a forged one).
   * @default 0
   */
  bodyTimeShiftMs?: number;
  /**
   * Error bodies arrive cut off in the middle of an element (`truncated`), or padded inside
   * `<Error>` to {@link HUGE_ERROR_BODY_BYTES} (`huge`).
   * @default "intact"
   */
  errorBody?: "intact" | "truncated" | "huge";
  /**
   * Send the status line and headers, then reset the connection instead of sending the body:
   * on error responses only, or on every response.
   */
  resetAfterHeaders?: "errors" | "all";
  /** Accept every request and never answer it (a hung front end). */
  stall?: boolean;
  /**
   * The proxy's clock jumps ahead this much on every request, so every answer is a skew error
   * carrying fresh evidence that contradicts the last.
   * @default 0
   */
  clockStepPerRequestMs?: number;
  /**
   * Answer every request that passes the clock check with this error, in the service's shape
   * (`Time:` and `Date` on the proxy's clock), instead of forwarding it: a refusal the emulator
   * never makes for a SharedKey request, such as `403 AuthorizationPermissionMismatch`.
   */
  cannedError?: AzureErrorShape;
}

/** The size of a `huge` error body. */
export const HUGE_ERROR_BODY_BYTES = 10 * 1024 * 1024;

/** How long a reset waits after the headers, so the client has read them when the RST comes. */
export const RESET_DELAY_MS = 20;

/** The error body as the chosen fault delivers it. */
export function faultyErrorBody(body: string, mode: AzureProxyFaults["errorBody"]): string {
  if (body.length === 0) return body;
  switch (mode) {
    case "truncated":
      return body.slice(0, Math.floor(body.length / 2));
    case "huge":
      return padded(body);
    default:
      return body;
  }
}

/** Padding inside `<Error>`, after the real elements: well-formed, and 10 MiB to read. */
function padded(body: string): string {
  const close = body.lastIndexOf("</Error>");
  const at = close === -1 ? body.length : close;
  const filler = HUGE_ERROR_BODY_BYTES - Buffer.byteLength(body) - "<Padding></Padding>".length;
  return `${body.slice(0, at)}<Padding>${"x".repeat(Math.max(0, filler))}</Padding>${body.slice(at)}`;
}
