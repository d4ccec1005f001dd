import type { Readable } from "node:stream";
import { FRAMING_ALLOWANCE_BYTES, type ReplayBudget } from "./replay-budget.js";
import { nodeBuiltin } from "./node-builtin.js";
import { type ReplayableStream, teeForReplay } from "./replay-buffer.js";

/** What decides whether a stream body keeps a copy for a resend, and how large. */
export interface StreamBodyOptions {
  /** The most a copy may keep, bytes (the engine's `replayBufferBytes`). */
  capBytes: number;
  /** The memory the copies of every request in flight share (the engine's `replayBudget`). */
  budget?: ReplayBudget;
  /** The body's length as the request declares it, when it does. */
  declaredBytes?: number;
  /**
   * The transport wraps the declared bytes in framing (S3's aws-chunked) and the copy holds the
   * framed stream: a body declared within the cap may then need a little more than the cap.
   * @default false
   */
  framed?: boolean;
}

/**
 * The copy a request body keeps for a resend, or `undefined` when it goes out once, as it is, as
 * it would without skewguard: anything but a Node `Readable` (a web stream, a stream of the old
 * kind), a stream already ended or destroyed (there is nothing left to copy), or one declared
 * larger than the cap (its copy would be dropped anyway, after holding memory). One decision
 * for every adapter, so that the same body is replayed, or not, whichever SDK sends it.
 */
export function teeStreamBody(
  body: unknown,
  options: StreamBodyOptions,
): ReplayableStream | undefined {
  const stream = nodeBuiltin<typeof import("node:stream")>("node:stream");
  if (!stream || !(body instanceof stream.Readable)) return undefined;
  const source = body as Readable;
  if (source.destroyed || source.readableEnded) return undefined;
  const { capBytes, budget, declaredBytes, framed = false } = options;
  if (declaredBytes !== undefined && declaredBytes > capBytes) return undefined;
  // Framing around a declared length within the cap is bounded, so that a wrong declaration
  // cannot make the copy exhaust memory.
  const limit =
    framed && declaredBytes !== undefined ? 2 * capBytes + FRAMING_ALLOWANCE_BYTES : capBytes;
  return teeForReplay(source, limit, {
    ...(budget ? { budget } : {}),
    ...(declaredBytes === undefined ? {} : { expectedBytes: declaredBytes }),
  });
}
