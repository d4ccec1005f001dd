import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { GCS_DEFAULTS } from "./constants.js";
import type { GcsSkewOptions } from "./options.js";

/** What one wrapped `Storage` (or one unwrapped caller of `getSignedUrl`) shares. */
export interface GcsSkewContext {
  recovery: SkewRecovery;
  probe: boolean;
  probeTimeoutMs: number;
}

const contexts = new WeakMap<object, GcsSkewContext>();

export function createContext(options: GcsSkewOptions): GcsSkewContext {
  return {
    recovery: new SkewRecovery("gcs", options),
    probe: options.probe ?? GCS_DEFAULTS.probe,
    probeTimeoutMs: options.probeTimeoutMs ?? GCS_DEFAULTS.probeTimeoutMs,
  };
}

export function contextOf(storage: object): GcsSkewContext | undefined {
  return contexts.get(storage);
}

export function attachContext(storage: object, context: GcsSkewContext): void {
  contexts.set(storage, context);
}

/** Contexts of clients `getSignedUrl` met without `withSkewRecovery`: kept apart, so wrapping later still hooks. */
const signerContexts = new WeakMap<object, GcsSkewContext>();

/** The wrapped client's context, else one kept for this client's signed URLs alone. */
export function signerContextOf(storage: object, options: GcsSkewOptions): GcsSkewContext {
  const existing = contexts.get(storage) ?? signerContexts.get(storage);
  if (existing) return existing;
  const context = createContext(options);
  signerContexts.set(storage, context);
  return context;
}
