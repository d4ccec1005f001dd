// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line per call. @default console.log */
  print?: (line: string) => void;
}

/** One call of the app, as the server counted it. */
export interface CallRecord {
  call: "upload report.csv" | "download report.csv" | "get missing.csv";
  /** Requests that reached the server for this call. */
  attempts: number;
  /** HTTP status of the last answer. */
  status: number | undefined;
  /** The error code, when the call failed. */
  code?: string;
  /** The SDK's `$metadata.attempts` and `totalRetryDelay` (ms it slept between retries). */
  sdkAttempts: number | undefined;
  retryDelayMs: number | undefined;
  /** For the download: the bytes read equal the bytes uploaded. */
  bytesMatch?: boolean;
}

export interface Summary {
  /** Server clock minus ours, ms (negative: the server is behind). */
  serverOffsetMs: number;
  /** The HMAC access id the client used (an id, not a secret). */
  accessId: string;
  bare: CallRecord[];
  wrapped: CallRecord[];
  /** The offset skewguard learned (server minus local), ms. */
  learnedOffsetMs: number | undefined;
  eventTypes: string[];
}

export declare function main(options?: RunOptions): Promise<Summary>;
