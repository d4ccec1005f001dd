// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface MainOptions {
  /** Receives the readable report, one line per call. @default console.log */
  print?: (line: string) => void;
}

export interface Summary {
  /** The fake's clock minus this machine's, ms. */
  skewMs: number;
  /** The URL from `file.getSignedUrl`. */
  bare: { status: number; code: string; diagnosis: string };
  /** The URLs from skewguard's `getSignedUrl`. */
  skewguard: { status: number; body: string; putStatus: number; storedEqual: boolean };
  /** Requests the GCS fake saw, by endpoint. */
  counts: { token: number; json: number; xml: number };
  /** Event types, in order. */
  events: string[];
}

export declare function main(options?: MainOptions): Promise<Summary>;
