import { open, readFile } from "node:fs/promises";
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
  /** A file's text: its first `maxBytes` bytes when given (a huge file is never held whole). */
  readFile(path: string, maxBytes?: number): Promise<string>;
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
    readFile: (path, maxBytes) =>
      maxBytes === undefined ? readFile(path, "utf8") : readHead(path, maxBytes),
  };
}

async function readHead(path: string, maxBytes: number): Promise<string> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(maxBytes);
    let length = 0;
    while (length < maxBytes) {
      const { bytesRead } = await file.read(buffer, length, maxBytes - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    await file.close();
  }
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
