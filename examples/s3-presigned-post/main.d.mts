// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line at a time. @default console.log */
  print?: (line: string) => void;
}

/** One browser-style POST of a presigned form and what the server answered. */
export interface PostRecord {
  signer: "@aws-sdk/s3-presigned-post" | "@skewguard/aws-s3";
  /** How long the policy had left by the server's clock when posted, ms (negative: expired). */
  remainingByServerMs: number;
  status: number;
  /** The S3 error code and message, when refused. */
  code?: string;
  message?: string;
  /** The stored object has the bytes posted. */
  bytesMatch?: boolean;
}

export interface Summary {
  serverAheadMs: number;
  /** Requests the server counted while skewguard signed (its one clock probe). */
  signingAttempts: number;
  /** Both forms have the same field names in the same order. */
  sameFieldNames: boolean;
  posts: PostRecord[];
  eventTypes: string[];
}

export declare function main(options?: RunOptions): Promise<Summary>;
