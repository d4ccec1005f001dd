// Types for main.mjs, so the TypeScript test suite can drive the example.

/** Where pino writes: any object with a `write(line)` method (a stream, or a test's collector). */
export interface LogDestination {
  write(line: string): unknown;
}

export interface RunOptions {
  /** Receives pino's JSON lines. @default process.stdout */
  destination?: LogDestination;
  /** Receives the OpenTelemetry printout and headings, one line per call. @default stdout */
  print?: (line: string) => void;
}

/** Every planted credential, in each form it could leak in. */
export declare const PLANTED_SECRETS: readonly string[];
/** The access key id the app's pino policy masks. */
export declare const ACCESS_KEY_ID: string;

export declare function runProductionLogging(options?: RunOptions): Promise<void>;
