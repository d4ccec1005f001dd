// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line at a time. @default console.log */
  print?: (line: string) => void;
}

/** One upload of the 20 MiB and what the server saw. */
export interface UploadRecord {
  mode: "bare SDK" | "with skewguard";
  ok: boolean;
  /** `name: message` of the error, when the upload failed. */
  error?: string;
  /** Requests the server completed (refusals included). */
  requests: number;
  /** Requests refused for their signing time. */
  refused: number;
  /** The highest SDK attempt number the server saw: 2 means an SDK retry (after a backoff). */
  maxSdkAttempt: number;
  /** Requests per part number, refused ones included. */
  perPart: Record<string, number>;
  /** The object read back has the bytes sent. */
  sameBytes: boolean;
  eventTypes: string[];
}

export interface Summary {
  serverAheadMs: number;
  stepMs: number;
  runs: UploadRecord[];
}

export declare function main(options?: RunOptions): Promise<Summary>;
