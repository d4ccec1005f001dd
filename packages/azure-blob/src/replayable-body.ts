import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { Readable } from "node:stream";
import { prependChunks, readUpTo } from "@skewguard/diagnosis/adapter";

/** A request body, made safe to send again where that is possible. */
export interface ReplayableBody {
  /** True when every attempt can send the same bytes. */
  readonly replayable: boolean;
  /** Puts the body for the next attempt on the request. */
  prepare(request: PipelineRequest): void;
}

/**
 * Strings, bytes, Blobs and stream factories (`() => stream`, which the transport calls once per
 * send) replay as they are. A Node stream is read into memory up to `capBytes`: if it ends by
 * then, every attempt sends the same buffer; if not, the bytes already read are put back in
 * front of the rest and the body goes out once, untouched. Web streams and multipart bodies are
 * sent once.
 */
export async function toReplayableBody(
  request: PipelineRequest,
  capBytes: number,
): Promise<ReplayableBody> {
  const body = request.body;
  if (request.multipartBody !== undefined) return once();
  if (isWebStream(body)) return once();
  if (!isNodeStream(body)) return { replayable: true, prepare: () => {} };
  const iterable = body as Partial<AsyncIterable<unknown>>;
  // A stream of the old kind, with no async iterator, is sent once as it is.
  if (typeof iterable[Symbol.asyncIterator] !== "function") return once();
  const iterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const { chunks, ended } = await readUpTo(iterator, capBytes);
  if (ended) {
    const bytes = Buffer.concat(chunks);
    return {
      replayable: true,
      prepare: (target) => {
        target.body = bytes;
      },
    };
  }
  const rest = Readable.from(prependChunks(chunks, iterator), { objectMode: false });
  return {
    replayable: false,
    prepare: (target) => {
      target.body = rest;
    },
  };
}

function once(): ReplayableBody {
  return { replayable: false, prepare: () => {} };
}

/** The transport's own test for a Node stream body. */
function isNodeStream(body: unknown): boolean {
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
