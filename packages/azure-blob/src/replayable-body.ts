import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { type ReplayBudget, teeStreamBody } from "@skewguard/diagnosis/adapter";

/** A request body, made safe to send again where that is possible. */
export interface ReplayableBody {
  /**
   * True when another attempt can send the same bytes. For a stream, asked after an attempt:
   * false once the stream gave more than the cap (or failed).
   */
  readonly replayable: boolean;
  /** True when the body on the request is swapped for each attempt: `release` must run. */
  readonly copies: boolean;
  /** Puts the body for the next attempt on the request. */
  prepare(request: PipelineRequest): void;
  /**
   * Drops what is held for a replay and gives the request back its own body, as the SDK left
   * it (a retry of the SDK's own then meets what it would meet without skewguard).
   */
  release(request: PipelineRequest): void;
}

const UNCHANGED = { copies: false, prepare: () => {}, release: () => {} };
/** A body every attempt can send as it is: one object for every such request. */
const AS_IT_IS: ReplayableBody = { replayable: true, ...UNCHANGED };

/**
 * Strings, bytes, Blobs and stream factories (`() => stream`, which the transport calls once per
 * send) replay as they are. A Node stream is teed, never read ahead: the first attempt streams
 * it to the server as it is read, while the chunks it produced are kept (references, not copies)
 * for a resend, which gives them again and then the rest of the stream. The copy keeps at most
 * `capBytes`, and only while the engine's `budget` (shared by the requests in flight) has room;
 * a stream that outgrows either drops its copy and goes out once, whole. A stream whose
 * `Content-Length` exceeds the cap, web streams and multipart bodies are sent once, untouched.
 */
export function toReplayableBody(
  request: PipelineRequest,
  capBytes: number,
  budget?: ReplayBudget,
): ReplayableBody {
  const body = request.body;
  if (request.multipartBody !== undefined) return once();
  if (isWebStream(body)) return once();
  if (!isNodeStream(body)) return AS_IT_IS;
  // A stream of the old kind, one already ended or destroyed, or one declared larger than the
  // cap is sent once as it is: the core decides, for every adapter alike.
  const declared = declaredLength(request);
  const tee = teeStreamBody(body, {
    capBytes,
    ...(budget ? { budget } : {}),
    ...(declared === undefined ? {} : { declaredBytes: declared }),
  });
  if (!tee) return once();
  return {
    get replayable() {
      return tee.replayable;
    },
    copies: true,
    prepare: (target) => {
      target.body = tee.next();
    },
    release: (target) => {
      tee.release();
      target.body = body;
    },
  };
}

/** The body's length as the SDK declared it (`upload(body, contentLength)`), if it did. */
function declaredLength(request: PipelineRequest): number | undefined {
  const value = request.headers.get("Content-Length")?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function once(): ReplayableBody {
  return { replayable: false, ...UNCHANGED };
}

/** The transport's own test for a Node stream body. */
function isNodeStream(body: unknown): body is NodeJS.ReadableStream {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { pipe?: unknown }).pipe === "function"
  );
}

function isWebStream(body: unknown): boolean {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { getReader?: unknown }).getReader === "function"
  );
}
