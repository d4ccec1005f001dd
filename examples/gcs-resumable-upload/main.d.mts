// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface MainOptions {
  /** Receives the readable report, one line per call. @default console.log */
  print?: (line: string) => void;
}

/** One resumable upload request as the fake recorded it. */
export interface UploadStep {
  request: "initiate" | "chunk" | "query";
  status: number | "dropped";
  contentRange: string | undefined;
}

export interface Outcome {
  outcome: "failed" | "succeeded" | "wrong data";
  /** The error the client threw, word for word. */
  error: string | undefined;
  /** Whether the fake stored exactly the bytes sent. */
  storedEqual: boolean;
  /** The token endpoint's answer to each grant request, in order. */
  grants: number[];
  uploads: UploadStep[];
}

export interface Summary {
  /** The fake's clock minus this machine's, ms. */
  skewMs: number;
  /** Bytes uploaded. */
  size: number;
  bare: Outcome;
  wrapped: Outcome & {
    /** Event types, in order. */
    events: string[];
    /** The offset skewguard learned (server minus local), ms. */
    learnedOffsetMs: number | undefined;
  };
  customEndpoint: Outcome & {
    /** What createWriteStream() to the custom endpoint failed with. */
    directError: string | undefined;
  };
}

export declare function main(options?: MainOptions): Promise<Summary>;
