import { readCapped } from "@skewguard/diagnosis/adapter";
import type { CliIo, InputStream } from "./io.js";
import { UsageError } from "./usage-error.js";

/**
 * The most of a pasted failure `doctor error` reads: a few KiB is an error body; an HTTP
 * response with its headers, or an SDK error printed as JSON with its stack, stays well within
 * 1 MiB. Reading stops there, so a runaway pipe (`cat /dev/zero | skewguard doctor error`)
 * costs 1 MiB of memory, not all of it.
 */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** What was read, and whether the input went on past `MAX_INPUT_BYTES` (then it was cut). */
export interface Input {
  text: string;
  cut: boolean;
}

/** `doctor error`'s input: a file, or standard input for `-` or nothing. */
export async function readInput(source: string | undefined, io: CliIo): Promise<Input> {
  if (source === undefined || source === "-") {
    if (source === undefined && io.stdin.isTTY === true) {
      throw new UsageError(
        "no input: pass a file, or pipe the error body in (… | skewguard doctor error -)",
      );
    }
    return capped(await readUpTo(io.stdin, MAX_INPUT_BYTES + 1));
  }
  try {
    return capped(await io.readFile(source, MAX_INPUT_BYTES + 1));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`cannot read ${source}${typeof code === "string" ? ` (${code})` : ""}`, {
      cause: error,
    });
  }
}

/** Cut to the cap, never inside a character nor leaving the start of a token (a secret). */
function capped(text: string): Input {
  // A code unit is at least one byte: a string this short cannot be over the cap.
  if (text.length <= MAX_INPUT_BYTES / 3) return { text, cut: false };
  const kept = readCapped(text, MAX_INPUT_BYTES);
  return kept === text ? { text, cut: false } : { text: kept, cut: true };
}

/**
 * Reads `stream` until `limit` bytes are in hand, then stops pulling: leaving the loop ends the
 * iteration (`return()`), which destroys a Node.js stream; a producer sees a closed pipe.
 * Holds at most `limit` bytes plus one chunk.
 */
export async function readUpTo(stream: InputStream, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const room = limit - bytes;
    chunks.push(data.byteLength > room ? data.subarray(0, room) : data);
    bytes += Math.min(data.byteLength, room);
    if (bytes >= limit) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** How the cut is said: on stderr, so `--json` output keeps its shape. */
export function cutNotice(): string {
  return `skewguard: the input is longer than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: only its first ${MAX_INPUT_BYTES / 1024 / 1024} MiB was read`;
}
