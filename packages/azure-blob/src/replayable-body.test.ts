import { createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ReplayBudget } from "@skewguard/diagnosis/adapter";
import { toReplayableBody } from "./replayable-body.js";

const request = (body: unknown) =>
  createPipelineRequest({
    url: "https://acct.blob.core.windows.net/c/b",
    method: "PUT",
    headers: createHttpHeaders(),
    body: body as never,
  });

async function readAll(body: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe("toReplayableBody", () => {
  it("replays strings, bytes and stream factories as they are", async () => {
    for (const body of ["text", Buffer.from("bytes"), () => Readable.from(["x"]), undefined]) {
      const req = request(body);
      const replay = toReplayableBody(req, 10);
      expect(replay.replayable).toBe(true);
      replay.prepare(req);
      expect(req.body).toBe(body);
    }
  });

  it("tees a stream that ends within the cap, so both attempts send the same bytes", async () => {
    const source = Readable.from([Buffer.from("abc"), Buffer.from("def")]);
    const req = request(source);
    const replay = toReplayableBody(req, 6);
    expect(replay.replayable).toBe(true);
    replay.prepare(req);
    expect(req.body).not.toBe(source);
    expect((await readAll(req.body)).toString()).toBe("abcdef");
    expect(replay.replayable).toBe(true);
    replay.prepare(req);
    expect((await readAll(req.body)).toString()).toBe("abcdef");
    replay.release(req);
    expect(req.body).toBe(source);
    expect(replay.replayable).toBe(false);
  });

  it("sends a longer stream once, whole, and drops what it kept", async () => {
    const parts = ["0123", "4567", "89ab", "cdef"].map((s) => Buffer.from(s));
    const req = request(Readable.from(parts));
    const replay = toReplayableBody(req, 5);
    replay.prepare(req);
    expect((await readAll(req.body)).toString()).toBe("0123456789abcdef");
    expect(replay.replayable).toBe(false);
  });

  it("never holds back a web stream or a multipart body", async () => {
    const web = new ReadableStream();
    expect(toReplayableBody(request(web), 100).replayable).toBe(false);
    const multipart = request(undefined);
    multipart.multipartBody = { parts: [] };
    expect(toReplayableBody(multipart, 100).replayable).toBe(false);
  });

  it("sends a stream declared larger than the cap untouched, never teed", () => {
    const source = Readable.from([Buffer.alloc(10)]);
    const req = request(source);
    req.headers.set("Content-Length", 10);
    const replay = toReplayableBody(req, 5);
    expect(replay.replayable).toBe(false);
    replay.prepare(req);
    expect(req.body).toBe(source);
  });

  it("draws on the client's budget: a body that finds it taken goes out once, whole", async () => {
    const budget = new ReplayBudget(8);
    const first = request(Readable.from([Buffer.from("abcdef")]));
    first.headers.set("Content-Length", 6);
    const held = toReplayableBody(first, 6, budget);
    held.prepare(first);
    await readAll(first.body);
    const second = request(Readable.from([Buffer.from("ghijkl")]));
    second.headers.set("Content-Length", 6);
    const crowded = toReplayableBody(second, 6, budget);
    crowded.prepare(second);
    expect((await readAll(second.body)).toString()).toBe("ghijkl");
    expect([held.replayable, crowded.replayable]).toEqual([true, false]);
    held.release(first);
    crowded.release(second);
    expect(budget.heldBytes).toBe(0);
  });
});
