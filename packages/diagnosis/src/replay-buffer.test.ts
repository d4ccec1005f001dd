import { once } from "node:events";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { ReplayBudget } from "./replay-budget.js";
import { teeForReplay } from "./replay-buffer.js";

/** A source handing out `parts` one per read, counting its reads. */
function source(parts: Buffer[]) {
  let reads = 0;
  const stream = new Readable({
    read() {
      const part = parts[reads++];
      this.push(part ?? null);
    },
  });
  return { stream, reads: () => reads };
}

/** A transport: reads a body to the end the way `pipe` does, keeping the chunks it saw. */
async function transport(body: Readable): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        seen.push(chunk);
        callback();
      },
    }),
  );
  return seen;
}

const parts = (n: number, size: number) =>
  Array.from({ length: n }, (_, i) => Buffer.alloc(size, i + 1));

describe("teeForReplay", () => {
  it("reads nothing until the first attempt reads, then streams the source through", async () => {
    const data = parts(4, 1000);
    const src = source(data);
    const tee = teeForReplay(src.stream, 10_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(src.reads()).toBe(0);
    const first = tee.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(src.reads()).toBe(0);
    expect(Buffer.concat(await transport(first)).equals(Buffer.concat(data))).toBe(true);
    expect(tee.ended).toBe(true);
  });

  it("keeps the chunks the stream produced, not copies, and replays them", async () => {
    const data = parts(3, 500);
    const tee = teeForReplay(source(data).stream, 1500);
    const first = await transport(tee.next());
    expect(tee.replayable).toBe(true);
    expect(tee.heldBytes).toBe(1500);
    const second = await transport(tee.next());
    expect(second).toHaveLength(3);
    second.forEach((chunk, i) => {
      // The very buffers the source gave: nothing was copied on the way.
      expect(chunk.buffer).toBe((data[i] as Buffer).buffer);
      expect(first[i]?.buffer).toBe((data[i] as Buffer).buffer);
    });
    tee.release();
    expect(tee.heldBytes).toBe(0);
    expect(tee.replayable).toBe(false);
  });

  it("drops the copy as soon as the body outgrows the cap, and still sends every byte once", async () => {
    const data = parts(5, 1000);
    const tee = teeForReplay(source(data).stream, 2500);
    const body = tee.next();
    const seen: Buffer[] = [];
    const states: Array<[number, boolean]> = [];
    body.on("data", (chunk: Buffer) => {
      seen.push(chunk);
      states.push([tee.heldBytes, tee.replayable]);
    });
    await once(body, "end");
    expect(Buffer.concat(seen).equals(Buffer.concat(data))).toBe(true);
    expect(states[1]).toEqual([2000, true]);
    expect(states[2]).toEqual([0, false]);
    expect(states[4]).toEqual([0, false]);
    expect(() => tee.next()).toThrow(
      expect.objectContaining({ code: "SKEWGUARD_BODY_NOT_REPLAYABLE" }),
    );
  });

  it("replays a body the first attempt never read (a refusal before the body was sent)", async () => {
    const data = parts(3, 100);
    const src = source(data);
    const tee = teeForReplay(src.stream, 1000);
    const unread = tee.next();
    expect(tee.replayable).toBe(true);
    const second = tee.next();
    expect(unread.destroyed).toBe(true);
    expect(Buffer.concat(await transport(second)).equals(Buffer.concat(data))).toBe(true);
  });

  it("replays a body the first attempt left half-read: the kept chunks, then the rest, in order", async () => {
    // Chunks large enough for the first body's buffer to hold back the source.
    const data = parts(20, 8 * 1024);
    const tee = teeForReplay(source(data).stream, 1 << 20);
    const first = tee.next();
    const got: Buffer[] = [];
    for await (const chunk of first) {
      got.push(chunk as Buffer);
      if (got.length === 2) break; // the transport gives up on the first body here
    }
    expect(tee.ended).toBe(false);
    expect(tee.replayable).toBe(true);
    const second = await transport(tee.next());
    expect(Buffer.concat(second).equals(Buffer.concat(data))).toBe(true);
  });

  it("never reads ahead of the transport: a slow reader holds the source back", async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(Buffer.alloc(1024, produced));
      },
    });
    const tee = teeForReplay(endless, 1 << 30);
    const body = tee.next();
    body.read(0); // one read request, then nothing consumes
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Bounded by the two streams' buffers, not by the cap: 1 KiB chunks, 16 KiB buffers on
    // Node 20, 64 KiB from Node 22 on (Node's default highWaterMark).
    const buffered = (endless.readableHighWaterMark + body.readableHighWaterMark) / 1024;
    expect(produced).toBeLessThan(buffered + 8);
    endless.destroy();
  });

  it("passes a source error to the attempt's body and is no longer replayable", async () => {
    let reads = 0;
    const failing = new Readable({
      read() {
        if (reads++ === 0) this.push(Buffer.from("first"));
        else this.destroy(new Error("disk gone"));
      },
    });
    const tee = teeForReplay(failing, 1000);
    await expect(transport(tee.next())).rejects.toThrow("disk gone");
    expect(tee.replayable).toBe(false);
  });

  it("on release, destroys a source whose body the transport destroyed, and only then", async () => {
    const destroyedByTransport = source(parts(10, 100));
    const abandoned = teeForReplay(destroyedByTransport.stream, 10_000);
    const body = abandoned.next();
    body.read(0);
    body.destroy();
    expect(destroyedByTransport.stream.destroyed).toBe(false); // a replay may still want it
    abandoned.release();
    expect(destroyedByTransport.stream.destroyed).toBe(true);

    const unpiped = source(parts(10, 100));
    const left = teeForReplay(unpiped.stream, 10_000);
    left.next().read(0);
    left.release();
    expect(unpiped.stream.destroyed).toBe(false);
  });

  it("takes string chunks as UTF-8", async () => {
    const tee = teeForReplay(Readable.from(["héllo ", "wörld"]), 100);
    await transport(tee.next());
    const again = await transport(tee.next());
    expect(Buffer.concat(again).toString("utf8")).toBe("héllo wörld");
  });
});

describe("teeForReplay with a budget shared by concurrent bodies", () => {
  it("takes a declared length in one piece: the body that finds no room goes out once, whole", async () => {
    const budget = new ReplayBudget(3000);
    const firstData = parts(3, 1000);
    const secondData = parts(3, 1000);
    const first = teeForReplay(source(firstData).stream, 3000, { budget, expectedBytes: 3000 });
    const second = teeForReplay(source(secondData).stream, 3000, { budget, expectedBytes: 3000 });
    const firstBody = first.next();
    const secondBody = second.next();
    // Read side by side, chunk by chunk: the first chunk of the first body reserves it all.
    const [a, b] = await Promise.all([transport(firstBody), transport(secondBody)]);
    expect(Buffer.concat(a).equals(Buffer.concat(firstData))).toBe(true);
    expect(Buffer.concat(b).equals(Buffer.concat(secondData))).toBe(true);
    expect([first.replayable, second.replayable]).toEqual([true, false]);
    expect(budget.heldBytes).toBe(3000);
    expect(() => second.next()).toThrow(
      expect.objectContaining({ code: "SKEWGUARD_BODY_NOT_REPLAYABLE" }),
    );
    first.release();
    expect(budget.heldBytes).toBe(0);
  });

  it("without declared lengths, never holds more than the budget, and gives back what it drops", async () => {
    const budget = new ReplayBudget(2500);
    const tees = Array.from({ length: 4 }, () =>
      teeForReplay(source(parts(3, 500)).stream, 10_000, { budget }),
    );
    let most = 0;
    await Promise.all(
      tees.map(async (tee) => {
        const body = tee.next();
        body.on("data", () => {
          most = Math.max(most, budget.heldBytes);
        });
        await once(body, "end");
      }),
    );
    expect(most).toBeLessThanOrEqual(2500);
    const kept = tees.filter((tee) => tee.replayable);
    expect(budget.heldBytes).toBe(kept.reduce((sum, tee) => sum + tee.heldBytes, 0));
    expect(kept.length).toBeGreaterThan(0);
    for (const tee of tees) tee.release();
    expect(budget.heldBytes).toBe(0);
  });

  it("a body refused before it was read costs nothing and is replayed from the source", async () => {
    const budget = new ReplayBudget(0);
    const data = parts(3, 1000);
    const src = source(data);
    const tee = teeForReplay(src.stream, 3000, { budget, expectedBytes: 3000 });
    tee.next(); // handed to a transport that got its refusal before sending the body
    expect(tee.replayable).toBe(true);
    const again = await transport(tee.next());
    expect(Buffer.concat(again).equals(Buffer.concat(data))).toBe(true);
    expect(budget.heldBytes).toBe(0);
    // It could keep nothing, so it cannot go a third time.
    expect(tee.replayable).toBe(false);
  });
});
