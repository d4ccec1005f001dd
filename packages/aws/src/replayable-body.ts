import { SkewguardError } from "@skewguard/diagnosis";
import { prependChunks, readUpTo } from "@skewguard/diagnosis/adapter";
import type { Readable } from "node:stream";

/** A request body that can be handed to the transport once, or once per attempt. */
export interface ReplayableBody {
  /** True when every attempt can send the same bytes again. */
  readonly replayable: boolean;
  /** The body for the next attempt. */
  next(): unknown;
}

/**
 * What the request says about its body size before it is read: the SDK puts the user's length
 * in `x-amz-decoded-content-length` when it wraps a stream in aws-chunked framing, else in
 * `content-length`.
 */
export function declaredLength(headers: Record<string, string>): number | undefined {
  for (const name of ["x-amz-decoded-content-length", "content-length"]) {
    const value = headerValue(headers, name);
    if (value !== undefined && /^\d+$/.test(value.trim())) return Number(value);
  }
  return undefined;
}

/** aws-chunked framing of a small body: chunk headers, signatures and a checksum trailer. */
const FRAMING_ALLOWANCE_BYTES = 64 * 1024;

/**
 * Makes a body safe to send twice. Strings, buffers, typed arrays and Blobs are replayable as
 * they are.
 * A Node stream whose declared length fits `capBytes` (or, with no declared length, that ends
 * within `capBytes`) is read into memory, and each attempt gets a fresh stream over the same
 * chunks: the transport still sees a stream, as the user sent it. A larger stream is sent once,
 * untouched: a declared-too-large stream is not even read ahead.
 */
export async function toReplayableBody(
  body: unknown,
  capBytes: number,
  declaredBytes: number | undefined,
): Promise<ReplayableBody> {
  if (
    body === undefined ||
    body === null ||
    typeof body === "string" ||
    body instanceof Uint8Array
  ) {
    return { replayable: true, next: () => body };
  }
  // A Blob (a file picked in a web page) cannot change: every attempt reads it from the start.
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    return { replayable: true, next: () => body };
  }
  const stream = nodeStreamModule();
  // Web streams and other exotic bodies are passed through once, never buffered.
  if (!stream || !(body instanceof stream.Readable)) return once(body);
  if (declaredBytes !== undefined && declaredBytes > capBytes) return once(body);
  // A declared length within the cap leaves room for the aws-chunked framing the SDK wraps
  // around the user's bytes, bounded so that a wrong declaration cannot exhaust memory.
  const limit = declaredBytes === undefined ? capBytes : 2 * capBytes + FRAMING_ALLOWANCE_BYTES;
  const iterator = (body as Readable)[Symbol.asyncIterator]();
  const { chunks, ended } = await readUpTo(iterator, limit);
  if (ended) {
    return { replayable: true, next: () => stream.Readable.from(chunks) };
  }
  return once(stream.Readable.from(prependChunks(chunks, iterator)));
}

/**
 * `node:stream`, when running on Node. Taken at run time rather than imported, so the package
 * still loads in a browser bundle, where bodies are never Node streams.
 */
function nodeStreamModule(): typeof import("node:stream") | undefined {
  const runtime = (globalThis as { process?: Partial<NodeJS.Process> }).process;
  return runtime?.getBuiltinModule?.("node:stream");
}

function once(body: unknown): ReplayableBody {
  let handedOut = false;
  return {
    replayable: false,
    next: () => {
      if (handedOut)
        throw new SkewguardError(
          "SKEWGUARD_BODY_NOT_REPLAYABLE",
          "a request body that cannot be replayed was requested for a second send",
        );
      handedOut = true;
      return body;
    },
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
