import type { Diagnosis } from "@skewguard/diagnosis";

const DIAGNOSIS = Symbol.for("skewguard.diagnosis");

/**
 * Hangs skewguard's diagnosis on an error the SDK throws, without changing its message, type
 * or enumerable properties (callers' checks and loggers see the error they always saw).
 */
export function attachDiagnosis<E>(error: E, diagnosis: Diagnosis | undefined): E {
  if (diagnosis && typeof error === "object" && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, DIAGNOSIS, { value: diagnosis, configurable: true });
  }
  return error;
}

/** The diagnosis skewguard made of a failure the wrapped client threw, if it made one. */
export function diagnosisOf(error: unknown): Diagnosis | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  return (error as { [DIAGNOSIS]?: Diagnosis })[DIAGNOSIS];
}
