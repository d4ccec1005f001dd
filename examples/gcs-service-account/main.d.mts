// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface MainOptions {
  /** Receives the readable report, one line per call. @default console.log */
  print?: (line: string) => void;
}

/** Requests the GCS fake saw, by endpoint. */
export interface Counts {
  token: number;
  json: number;
  xml: number;
}

export interface Summary {
  /** The fake's clock minus this machine's, ms. */
  skewMs: number;
  bare: {
    outcome: "failed" | "succeeded";
    /** The error the bare client threw, word for word. */
    error: string | undefined;
    counts: Counts;
  };
  wrapped: {
    outcome: "succeeded" | "wrong data";
    readBackEqual: boolean;
    counts: Counts;
    /** The token endpoint's answer to each grant request, in order. */
    grants: number[];
    /** Event types, in order. */
    events: string[];
    /** The offset skewguard learned (server minus local), ms. */
    learnedOffsetMs: number | undefined;
  };
}

export declare function main(options?: MainOptions): Promise<Summary>;
