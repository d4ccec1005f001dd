// Types for main.mjs, so the TypeScript test suite can drive the demo.
import type { SkewguardEvent } from "@skewguard/diagnosis";

export interface RunOptions {
  /** Receives the printout, one line at a time. @default console.log */
  print?: (line: string) => void;
}

/** One call of the app, as the server counted it. */
export interface CallRecord {
  call: string;
  /** Requests that reached the server for this call (GCS: token grants included). */
  attempts: number;
  /** Wall-clock time the call took, ms. */
  ms: number;
  /** The call ended as the app expects (success, or the expected 404). */
  ok: boolean;
  /** `"ok"`, or the error code it failed with. */
  outcome: string;
  /** The SDK's error, shortened to one line, credential shapes scrubbed. */
  error?: string;
}

export interface RunRecord {
  /** Requests that reached the server for all the calls. */
  attempts: number;
  /** Every call ended as the app expects. */
  ok: boolean;
  calls: CallRecord[];
}

export interface ProviderSummary {
  /** The server's clock minus this machine's, ms. */
  serverOffsetMs: number;
  bare: RunRecord;
  wrapped: RunRecord & { events: SkewguardEvent[] };
  /** One call through skewguard with a key of another environment: a failure to diagnose. */
  wrongKey: CallRecord & { events: SkewguardEvent[] };
  /** Every event skewguard emitted for this provider: the wrapped calls', then the wrong key's. */
  events: SkewguardEvent[];
}

export interface Summary {
  s3: ProviderSummary;
  azure: ProviderSummary;
  gcs: ProviderSummary;
}

export declare function main(options?: RunOptions): Promise<Summary>;
