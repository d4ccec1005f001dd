import { describe, expect, it } from "vitest";
import { prependChunks, readUpTo } from "./replay-buffer.js";

async function* chunks(...parts: (string | Uint8Array)[]) {
  yield* parts;
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts).toString("utf8");
}

describe("readUpTo / prependChunks", () => {
  it("buffers a body that ends within the cap", async () => {
    const { chunks: read, ended } = await readUpTo(
      chunks("héllo ", Buffer.from("wörld"))[Symbol.asyncIterator](),
      64,
    );
    expect(ended).toBe(true);
    expect(Buffer.concat(read).toString("utf8")).toBe("héllo wörld");
  });

  it("stops after the chunk that crosses the cap, and gives back every byte in order", async () => {
    let pulled = 0;
    async function* counted() {
      for (const part of ["aaaa", "bbbb", "cccc", "dddd"]) {
        pulled++;
        yield part;
      }
    }
    const iterator = counted()[Symbol.asyncIterator]();
    const prefix = await readUpTo(iterator, 5);
    expect(prefix.ended).toBe(false);
    expect(pulled).toBe(2); // 8 bytes read for a 5-byte cap: no further read-ahead
    expect(await collect(prependChunks(prefix.chunks, iterator))).toBe("aaaabbbbccccdddd");
  });

  it("rejects a chunk that is not bytes with a clear error", async () => {
    await expect(readUpTo(chunks({} as never)[Symbol.asyncIterator](), 10)).rejects.toThrow(
      /must be bytes/,
    );
  });
});
