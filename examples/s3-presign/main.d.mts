// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line at a time. @default console.log */
  print?: (line: string) => void;
}

/** One presigned URL and what the server answered when it was fetched. */
export interface UrlRecord {
  signer: "@aws-sdk/s3-request-presigner" | "@skewguard/aws-s3";
  method: "GET" | "PUT";
  /** `X-Amz-Date` of the URL, in ms. */
  signedAtMs: number;
  /** How long the URL has left by the server's clock when fetched, ms (negative: expired). */
  remainingByServerMs: number;
  status: number;
  /** The S3 error code and message, when refused. */
  code?: string;
  message?: string;
  /** GET: the bytes read equal the object's; PUT: the bytes stored equal the bytes sent. */
  bytesMatch?: boolean;
}

export interface Summary {
  serverAheadMs: number;
  /** Requests the server counted while the URLs were signed (skewguard's one clock probe). */
  signingAttempts: number;
  urls: UrlRecord[];
  eventTypes: string[];
}

export declare function main(options?: RunOptions): Promise<Summary>;
