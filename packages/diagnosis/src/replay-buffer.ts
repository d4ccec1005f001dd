/**
 * Buffering a streamed request body so it can be sent again, shared by the adapters. Works on
 * any async iterator of chunks (Node streams, web streams' readers wrapped as iterators), so the
 * core stays free of `node:stream`.
 */

/** What was read of a body: its first chunks, and whether the body ended within the cap. */
export interface BufferedPrefix {
  chunks: Uint8Array[];
  ended: boolean;
}

/**
 * Reads chunks until the body ends or more than `capBytes` were read. Never reads past the
 * first chunk that crosses the cap: a body over the cap costs at most cap + one chunk of memory.
 */
export async function readUpTo(
  iterator: AsyncIterator<unknown>,
  capBytes: number,
): Promise<BufferedPrefix> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total <= capBytes) {
    const { value, done } = await iterator.next();
    if (done) return { chunks, ended: true };
    const chunk = toBytes(value);
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return { chunks, ended: false };
}

/** The chunks already read, then the rest of the body, without reading ahead. */
export async function* prependChunks(
  chunks: Uint8Array[],
  rest: AsyncIterator<unknown>,
): AsyncGenerator<Uint8Array> {
  yield* chunks;
  for (;;) {
    const { value, done } = await rest.next();
    if (done) return;
    yield toBytes(value);
  }
}

const encoder = new TextEncoder();

/** Node Buffers are Uint8Arrays and pass as they are; strings are UTF-8 encoded. */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`a request body chunk must be bytes or a string, got ${typeof value}`);
}
