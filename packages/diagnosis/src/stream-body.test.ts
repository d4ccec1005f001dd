import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { FRAMING_ALLOWANCE_BYTES, ReplayBudget } from "./replay-budget.js";
import { teeStreamBody } from "./stream-body.js";

/** A source handing out `parts` one per read, counting its reads. */
function source(parts: Buffer[]) {
  let reads = 0;
  const stream = new Readable({
    read() {
      this.push(parts[reads++] ?? null);
    },
  });
  return { stream, reads: () => reads };
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    }),
  );
  return bytes;
}

const CAP = 1000;

describe("teeStreamBody", () => {
  it("copies a Node stream within the cap, and the resend gives the same bytes", async () => {
    const src = source([Buffer.alloc(600, 1), Buffer.alloc(300, 2)]);
    const tee = teeStreamBody(src.stream, { capBytes: CAP });
    expect(tee).toBeDefined();
    expect(await drain(tee?.next() as Readable)).toBe(900);
    expect(tee?.replayable).toBe(true);
    expect(await drain(tee?.next() as Readable)).toBe(900);
  });

  it("declines what is not a Node Readable: web streams, old-style streams, plain values", () => {
    const oldStyle = { pipe: () => undefined, on: () => undefined };
    for (const body of [new ReadableStream(), oldStyle, "text", Buffer.from("x"), undefined]) {
      expect(teeStreamBody(body, { capBytes: CAP })).toBeUndefined();
    }
  });

  it("declines a stream already ended or destroyed: nothing is left to copy", async () => {
    const ended = Readable.from(["a"]);
    await drain(ended);
    expect(teeStreamBody(ended, { capBytes: CAP })).toBeUndefined();
    const destroyed = source([Buffer.alloc(10)]).stream;
    destroyed.destroy();
    expect(teeStreamBody(destroyed, { capBytes: CAP })).toBeUndefined();
  });

  it("declines a stream declared larger than the cap, without reading or reserving", async () => {
    const src = source([Buffer.alloc(CAP + 1)]);
    const budget = new ReplayBudget(10 * CAP);
    expect(
      teeStreamBody(src.stream, { capBytes: CAP, declaredBytes: CAP + 1, budget }),
    ).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(src.reads()).toBe(0);
    expect(budget.heldBytes).toBe(0);
  });

  it("lets a framed body declared within the cap keep its framing too, and no more", async () => {
    // aws-chunked: the transport sends the declared bytes plus framing around them.
    const framedBytes = CAP + 200;
    const framed = teeStreamBody(source([Buffer.alloc(framedBytes)]).stream, {
      capBytes: CAP,
      declaredBytes: CAP,
      framed: true,
    });
    expect(await drain(framed?.next() as Readable)).toBe(framedBytes);
    expect(framed?.replayable).toBe(true);
    // The same bytes on a body that is not framed overrun the cap: the copy is dropped.
    const plain = teeStreamBody(source([Buffer.alloc(framedBytes)]).stream, {
      capBytes: CAP,
      declaredBytes: CAP,
    });
    expect(await drain(plain?.next() as Readable)).toBe(framedBytes);
    expect(plain?.replayable).toBe(false);
    // A wrong declaration cannot make a framed copy grow past twice the cap and the allowance.
    const lying = teeStreamBody(
      source([Buffer.alloc(2 * CAP + FRAMING_ALLOWANCE_BYTES + 1)]).stream,
      { capBytes: CAP, declaredBytes: CAP, framed: true },
    );
    await drain(lying?.next() as Readable);
    expect(lying?.replayable).toBe(false);
  });
});
