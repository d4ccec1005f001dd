import { type ReplayBudget, SkewguardError, teeStreamBody } from "@skewguard/diagnosis/engine";

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
  // Web streams and other exotic bodies, and streams the core declines to copy (already ended
  // or destroyed, declared larger than the cap), are passed through once, never buffered.
  const tee = teeStreamBody(body, {
    capBytes,
    ...(budget ? { budget } : {}),
    ...(declaredBytes === undefined ? {} : { declaredBytes }),
    framed: true,
  });
  if (!tee) return once(body);
  return {
    get replayable() {
      return tee.replayable;
    },
    next: () => tee.next(),
    release: () => tee.release(),
  };
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
