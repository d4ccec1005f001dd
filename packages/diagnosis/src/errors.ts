/**
 * The error skewguard throws for what an adapter cannot do, or input a parser cannot read.
 * Stable `code`s; a registered symbol brand instead of `instanceof`, so an error from another
 * copy or realm is recognised.
 */

/**
 * - `SKEWGUARD_INVALID_OPTION`: an option out of range or of the wrong type (thrown at once,
 *   where the option is given).
 * - `SKEWGUARD_UNSUPPORTED_CLIENT`: the client is not one the adapter can wrap.
 * - `SKEWGUARD_BODY_NOT_REPLAYABLE`: a request body that cannot be replayed was asked for a
 *   second time (a bug in a caller of the engine; the engine never asks).
 * - `SKEWGUARD_INVALID_INPUT`: input a function cannot read (`parseSignedUrl`: not a URL, or
 *   not a signed one).
 */
export type SkewguardErrorCode =
  | "SKEWGUARD_INVALID_OPTION"
  | "SKEWGUARD_UNSUPPORTED_CLIENT"
  | "SKEWGUARD_BODY_NOT_REPLAYABLE"
  | "SKEWGUARD_INVALID_INPUT";

const BRAND = Symbol.for("skewguard.error");

export class SkewguardError extends Error {
  readonly code: SkewguardErrorCode;
  readonly [BRAND] = true;

  constructor(code: SkewguardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SkewguardError";
    this.code = code;
  }
}

/** True for any skewguard error, from this copy of the package or another. */
export function isSkewguardError(value: unknown): value is SkewguardError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
