import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import type { GcsSkewOptions } from "./options.js";

/** The engine of each wrapped `Storage`. */
const engines = new WeakMap<object, SkewRecovery>();

/**
 * The engine for `options`: constructing it validates them (`SKEWGUARD_INVALID_OPTION`), so
 * every entry point builds one, also when the options end up unused.
 */
export function createEngine(options: GcsSkewOptions): SkewRecovery {
  return new SkewRecovery("gcs", options);
}

export function engineOf(storage: object): SkewRecovery | undefined {
  return engines.get(storage);
}

export function attachEngine(storage: object, recovery: SkewRecovery): void {
  engines.set(storage, recovery);
}

/** Engines of clients `getSignedUrl` met without `withSkewRecovery`: kept apart, so wrapping later still hooks. */
const signerEngines = new WeakMap<object, SkewRecovery>();

/**
 * The wrapped client's engine, else one kept for this client's signed URLs alone. `options`
 * are validated whether or not they are used (they apply only to a client not wrapped).
 */
export function signerEngineOf(storage: object, options: GcsSkewOptions | undefined): SkewRecovery {
  const given = options === undefined ? undefined : createEngine(options);
  const existing = engines.get(storage) ?? signerEngines.get(storage);
  if (existing) return existing;
  const recovery = given ?? createEngine({});
  signerEngines.set(storage, recovery);
  return recovery;
}
