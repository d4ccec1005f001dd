import { redact } from "./redact.js";
import type { Diagnosis } from "./types.js";

const DIAGNOSIS = Symbol.for("skewguard.diagnosis");

/**
 * Hangs a diagnosis on what the user receives (the SDK's error, or a failed response the SDK
 * turns into one), redacted like an event, without changing its message, type or enumerable
 * properties: callers' checks and loggers see the error they always saw.
 */
export function attachDiagnosis<T>(target: T, diagnosis: Diagnosis | undefined): T {
  if (diagnosis && typeof target === "object" && target !== null && Object.isExtensible(target)) {
    Object.defineProperty(target, DIAGNOSIS, {
      value: redact(diagnosis),
      configurable: true,
    });
  }
  return target;
}

/**
 * The diagnosis skewguard made of a signature failure a wrapped client threw, if it made one.
 * Works for every provider: the AWS SDK's error, Azure's `RestError` (its response carries the
 * diagnosis), gaxios and `@google-cloud/storage` errors.
 *
 * @example
 * ```ts
 * try {
 *   await s3.send(new GetObjectCommand({ Bucket, Key }));
 * } catch (error) {
 *   const diagnosis = diagnosisOf(error);
 *   if (diagnosis) console.error(diagnosis.cause, diagnosis.summary, diagnosis.fixes);
 *   throw error;
 * }
 * ```
 */
export function diagnosisOf(error: unknown): Diagnosis | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const own = (error as { [DIAGNOSIS]?: Diagnosis })[DIAGNOSIS];
  if (own) return own;
  for (const key of ["response", "$response"] as const) {
    const carrier = (error as Record<string, unknown>)[key];
    if (typeof carrier === "object" && carrier !== null) {
      const carried = (carrier as { [DIAGNOSIS]?: Diagnosis })[DIAGNOSIS];
      if (carried) return carried;
    }
  }
  return undefined;
}
