// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line per call. @default console.log */
  print?: (line: string) => void;
}

/** One call of the app, as the servers counted it. */
export interface CallRecord {
  call:
    | "DynamoDB PutItem"
    | "DynamoDB GetItem"
    | "DynamoDB PutItem, no key"
    | "SQS SendMessage"
    | "STS GetCallerIdentity";
  /** Requests that reached the servers for this call. */
  attempts: number;
  /** HTTP status of the last answer. */
  status: number | undefined;
  /** The error's name, when the call failed. */
  code?: string;
  /** The SDK's `$metadata.attempts` and `totalRetryDelay` (ms it slept between retries). */
  sdkAttempts: number | undefined;
  retryDelayMs: number | undefined;
}

export interface Summary {
  /** Server clocks minus ours, ms. */
  serverOffsetMs: number;
  bare: CallRecord[];
  wrapped: CallRecord[];
  eventTypes: string[];
  /** The offset each `request.recovered` event reported, ms. */
  recoveredOffsetsMs: Array<number | undefined>;
}

export declare function main(options?: RunOptions): Promise<Summary>;
