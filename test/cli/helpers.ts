import { Readable } from "node:stream";
import { type CliIo, run } from "@skewguard/cli";

/** One in-process run of the command, with everything it printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, for `--json` runs. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs `skewguard <args>` through `run()`: no build, no subprocess. */
export async function skewguard(args: string[], io: Partial<CliIo> = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(["node", "skewguard", ...args], {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: Readable.from([]),
    env: {},
    ...io,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Standard input holding `text`. */
export function stdinOf(text: string): CliIo["stdin"] {
  return Readable.from([Buffer.from(text)]);
}

/** A fetch that answers every request with a fixed server clock, for tests without a server. */
export function fakeServerFetch(serverNow: () => number): typeof fetch {
  return async () =>
    new Response(null, { status: 403, headers: { date: new Date(serverNow()).toUTCString() } });
}
