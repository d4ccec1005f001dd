import { readFile } from "node:fs/promises";
import { type Clock, systemClock } from "@skewguard/diagnosis";

/** Where the command writes: process streams in production, string buffers in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where `doctor error -` reads from. */
export type InputStream = AsyncIterable<string | Uint8Array> & { isTTY?: boolean };

/**
 * Everything the command touches outside itself, injectable so tests run in-process with fake
 * clocks, fake servers and captured output.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: InputStream;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Promise<string>;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: lazyStdin(),
    fetch: globalThis.fetch,
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    env: process.env,
    readFile: (path) => readFile(path, "utf8"),
  };
}

/** Touching `process.stdin` opens it; only `doctor error -` should. */
function lazyStdin(): InputStream {
  return {
    get isTTY() {
      return process.stdin.isTTY;
    },
    [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator](),
  };
}
