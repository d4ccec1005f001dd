import {
  FRAMING_ALLOWANCE_BYTES,
  type ReplayBudget,
  SkewguardError,
  teeForReplay,
} from "@skewguard/diagnosis/engine";
import type { Readable } from "node:stream";

/** A request body that can be handed to the transport once, or once per attempt. */
export interface ReplayableBody {
  /**
   * True when another attempt can send the same bytes. For a stream, asked after an attempt:
   * false once the stream gave more than its copy could keep (or failed).
   */
  readonly replayable: boolean;
  /** The body for the next attempt. */
  next(): unknown;
  /** Drops what is held for a replay: call it once the request is settled. */
  release(): void;
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

/**
 * Makes a body safe to send twice, without holding the first send back. Strings, buffers, typed
 * arrays and Blobs are replayable as they are. A Node stream is teed: the first attempt streams it
 * to the server as it is read, while the chunks it produced are kept (references, not copies)
 * for a resend, up to `capBytes` and only while the engine's `budget` (shared by the requests
 * in flight) has room; a body that outgrows either drops its copy and goes out once, whole. A
 * stream declared larger than the cap, a web stream and other exotic bodies are sent once,
 * untouched.
 *
 * The SDK has usually wrapped the user's stream in aws-chunked framing by now: the framed stream
 * is what is teed (its chunks are the user's, between a few bytes of framing), so a resend sends
 * the very bytes the first attempt sent, checksum trailer included, and nothing is framed twice.
 */
export function toReplayableBody(
  body: unknown,
  capBytes: number,
  declaredBytes: number | undefined,
  budget?: ReplayBudget,
): ReplayableBody {
  if (
    body === undefined ||
    body === null ||
    typeof body === "string" ||
    body instanceof Uint8Array
  ) {
    return { replayable: true, next: () => body, release: () => {} };
  }
  // A Blob (a file picked in a web page) cannot change: every attempt reads it from the start.
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    return { replayable: true, next: () => body, release: () => {} };
  }
  const stream = nodeStreamModule();
  // Web streams and other exotic bodies are passed through once, never buffered.
  if (!stream || !(body instanceof stream.Readable)) return once(body);
  const source = body as Readable;
  // A stream already ended or destroyed goes to the transport as it is, as it would bare.
  if (source.destroyed || source.readableEnded) return once(body);
  if (declaredBytes !== undefined && declaredBytes > capBytes) return once(body);
  // A declared length within the cap leaves room for the aws-chunked framing the SDK wraps
  // around the user's bytes, bounded so that a wrong declaration cannot exhaust memory.
  const limit = declaredBytes === undefined ? capBytes : 2 * capBytes + FRAMING_ALLOWANCE_BYTES;
  const tee = teeForReplay(source, limit, {
    ...(budget ? { budget } : {}),
    ...(declaredBytes === undefined ? {} : { expectedBytes: declaredBytes }),
  });
  return {
    get replayable() {
      return tee.replayable;
    },
    next: () => tee.next(),
    release: () => tee.release(),
  };
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
    release: () => {},
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
