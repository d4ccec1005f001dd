import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ReplayBudget } from "@skewguard/diagnosis/adapter";
import { declaredLength, toReplayableBody } from "./replayable-body.js";

const chunks = (n: number, size: number) =>
  Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));

async function drain(body: unknown): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body as Readable) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

describe("toReplayableBody", () => {
  it("passes strings and buffers through, replayable", async () => {
    const buffer = Buffer.from("abc");
    const body = toReplayableBody(buffer, 1, undefined);
    expect(body.replayable).toBe(true);
    expect(body.next()).toBe(buffer);
    expect(body.next()).toBe(buffer);
  });

  it("gives each attempt a fresh stream over the same bytes when the stream fits", async () => {
    const source = Readable.from(chunks(4, 1000));
    const body = toReplayableBody(source, 4000, 4000);
    expect(body.replayable).toBe(true);
    const first = await drain(body.next());
    const second = await drain(body.next());
    expect(first.length).toBe(4000);
    expect(second.equals(first)).toBe(true);
    body.release();
    expect(body.replayable).toBe(false);
  });

  it("reads nothing ahead: the first attempt streams the body while it is read", async () => {
    let reads = 0;
    const source = new Readable({
      read() {
        reads++;
        this.push(reads <= 3 ? Buffer.alloc(100, reads) : null);
      },
    });
    const body = toReplayableBody(source, 4000, 300);
    expect(reads).toBe(0);
    const first = body.next() as Readable;
    expect(first).not.toBe(source);
    expect(reads).toBe(0);
    expect((await drain(first)).length).toBe(300);
    expect(body.replayable).toBe(true);
  });

  it("does not read a stream whose declared length exceeds the cap", async () => {
    let reads = 0;
    const source = new Readable({
      read() {
        reads++;
        this.push(null);
      },
    });
    const body = toReplayableBody(source, 10, 11);
    expect(body.replayable).toBe(false);
    expect(reads).toBe(0);
    expect(body.next()).toBe(source);
    expect(() => body.next()).toThrow(
      expect.objectContaining({ code: "SKEWGUARD_BODY_NOT_REPLAYABLE" }),
    );
  });

  it("without a declared length, keeps up to the cap and then sends the rest once", async () => {
    const data = chunks(5, 1000);
    const body = toReplayableBody(Readable.from(data), 2500, undefined);
    expect((await drain(body.next())).equals(Buffer.concat(data))).toBe(true);
    expect(body.replayable).toBe(false);
    expect(() => body.next()).toThrow(
      expect.objectContaining({ code: "SKEWGUARD_BODY_NOT_REPLAYABLE" }),
    );
  });

  it("stops keeping a stream that runs past its declared length", async () => {
    // Declared 100 bytes; 100 KB arrive: past twice the cap plus the framing allowance.
    const data = chunks(100, 1000);
    const body = toReplayableBody(Readable.from(data), 100, 100);
    expect((await drain(body.next())).equals(Buffer.concat(data))).toBe(true);
    expect(body.replayable).toBe(false);
  });

  it("sends an ended or destroyed stream once, as it is", () => {
    const destroyed = Readable.from(chunks(1, 10));
    destroyed.destroy();
    const body = toReplayableBody(destroyed, 100, undefined);
    expect(body.replayable).toBe(false);
    expect(body.next()).toBe(destroyed);
  });

  it("hands the same Blob to every attempt without reading it", () => {
    const blob = new Blob(["a file picked in a page"]);
    const body = toReplayableBody(blob, 4, undefined);
    expect(body.replayable).toBe(true);
    expect(body.next()).toBe(blob);
    expect(body.next()).toBe(blob);
  });

  it("never buffers a web stream", async () => {
    const web = new ReadableStream();
    const body = toReplayableBody(web, 1 << 20, 0);
    expect(body.replayable).toBe(false);
    expect(body.next()).toBe(web);
  });
});

describe("declaredLength", () => {
  it("prefers the decoded length of an aws-chunked body", () => {
    expect(declaredLength({ "content-length": "120", "X-Amz-Decoded-Content-Length": "100" })).toBe(
      100,
    );
    expect(declaredLength({ "content-length": "7" })).toBe(7);
    expect(declaredLength({ "content-length": "seven" })).toBeUndefined();
  });

  it("draws on the client's budget: a body that finds it taken goes out once, whole", async () => {
    const budget = new ReplayBudget(5000);
    const held = toReplayableBody(Readable.from(chunks(4, 1000)), 4000, 4000, budget);
    await drain(held.next());
    expect(budget.heldBytes).toBe(4000);
    const data = chunks(4, 1000);
    const crowded = toReplayableBody(Readable.from(data), 4000, 4000, budget);
    expect((await drain(crowded.next())).equals(Buffer.concat(data))).toBe(true);
    expect(crowded.replayable).toBe(false);
    expect(held.replayable).toBe(true);
    held.release();
    crowded.release();
    expect(budget.heldBytes).toBe(0);
  });
});
