// Types for main.mjs, so the TypeScript test suite can drive the example.

export interface RunOptions {
  /** Receives the printout, one line per call. @default console.log */
  print?: (line: string) => void;
}

/** One SAS link, fetched once. */
export interface LinkRecord {
  status: number;
  /** Requests that reached the server for the fetch. */
  attempts: number;
  /** The body equals the uploaded bytes (successful fetches only). */
  bytesMatch: boolean | undefined;
  /** The service's `AuthenticationErrorDetail`, when refused. */
  detail: string | undefined;
  /** `se` minus the server's clock when fetched, ms (negative: already expired). */
  lifetimeLeftMs: number;
  /** The link carries a start time (`st`). */
  hasStart: boolean;
}

export interface Summary {
  serverAheadMs: number;
  /** Requests for creating the container and uploading the blob (one is re-signed). */
  setupAttempts: number;
  /** The link from the SDK's `blobClient.generateSasUrl`. */
  sdk: LinkRecord;
  /** The link from skewguard's `generateBlobSasUrl`. */
  skewguard: LinkRecord;
  eventTypes: string[];
}

export declare function main(options?: RunOptions): Promise<Summary>;
