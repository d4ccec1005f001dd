import { describe, expect, it } from "vitest";
import {
  parseContentRange,
  persistedRange,
  RESUMABLE_CHUNK_GRANULARITY as G,
  ResumableSession,
} from "./gcs-resumable.js";

const session = () => new ResumableSession({ bucket: "b", name: "o", contentType: "x/y" });
const bytes = (n: number, seed = 0) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i + seed) % 256));

describe("parseContentRange", () => {
  it.each([
    ["bytes */*", { kind: "query", total: undefined }],
    ["bytes */10", { kind: "query", total: 10 }],
    ["bytes 0-9/10", { kind: "chunk", start: 0, end: 9, total: 10 }],
    ["bytes 5-9/*", { kind: "chunk", start: 5, end: 9, total: undefined }],
    ["bytes 5-*/*", { kind: "chunk", start: 5, end: undefined, total: undefined }],
    ["bytes 5-*/10", { kind: "chunk", start: 5, end: undefined, total: 10 }],
    [undefined, { kind: "chunk", start: 0, end: undefined, total: undefined }],
  ])("reads %s", (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });

  it.each(["bytes=0-9/10", "bytes 9-0/10", "bytes 0-9", "items 0-9/10", "bytes -1-9/10", ""])(
    "refuses %j",
    (header) => {
      expect(parseContentRange(header)).toBeUndefined();
    },
  );
});

describe("ResumableSession", () => {
  it("persists a chunk that is not the last in whole 256 KiB only", () => {
    const s = session();
    expect(s.put(parseContentRange(`bytes 0-${G + 99}/*`)!, bytes(G + 100))).toEqual({
      kind: "incomplete",
      persisted: G,
    });
    expect(persistedRange(s.persisted)).toEqual({ Range: `bytes=0-${G - 1}` });
    expect(persistedRange(0)).toEqual({});
  });

  it("skips bytes it already holds when a chunk is sent again from an earlier offset", () => {
    const s = session();
    const all = bytes(2 * G + 10);
    s.put(parseContentRange(`bytes 0-${G + 99}/*`)!, all.subarray(0, G + 100));
    const done = s.put(parseContentRange(`bytes 0-${all.length - 1}/${all.length}`)!, all);
    expect(done.kind).toBe("complete");
    expect(done.kind === "complete" && done.object.data.equals(all)).toBe(true);
  });

  it("keeps whole 256 KiB of an interrupted chunk, even one that claimed to be the last", () => {
    const s = session();
    const all = bytes(3 * G);
    const cut = all.subarray(0, 2 * G + 5);
    expect(s.put(parseContentRange(`bytes 0-${all.length - 1}/${all.length}`)!, cut, true)).toEqual(
      {
        kind: "incomplete",
        persisted: 2 * G,
      },
    );
    expect(s.put(parseContentRange("bytes */*")!, Buffer.alloc(0))).toEqual({
      kind: "incomplete",
      persisted: 2 * G,
    });
  });

  it("completes on a status query with the total once every byte is persisted", () => {
    const s = session();
    s.put(parseContentRange(`bytes 0-${G - 1}/*`)!, bytes(G));
    expect(s.put(parseContentRange(`bytes */${G}`)!, Buffer.alloc(0)).kind).toBe("complete");
  });

  it("refuses chunks past the persisted bytes, lengths that disagree and totals that change", () => {
    const s = session();
    expect(s.put(parseContentRange("bytes 3-5/6")!, bytes(3))).toMatchObject({
      kind: "error",
      error: { status: 400 },
    });
    expect(s.put(parseContentRange("bytes 0-5/6")!, bytes(4)).kind).toBe("error");
    expect(s.put(parseContentRange("bytes 0-*/6")!, bytes(4)).kind).toBe("error");
    expect(s.put(parseContentRange("bytes 0-6/6")!, bytes(7)).kind).toBe("error");
    // None of the refusals changed what the session holds or expects.
    expect(s.persisted).toBe(0);
    expect(s.put(parseContentRange("bytes 0-2/3")!, bytes(3)).kind).toBe("complete");
  });

  it("refuses a total that contradicts the one declared when the session opened", () => {
    const s = new ResumableSession({ bucket: "b", name: "o", contentType: "x/y", total: 10 });
    expect(s.put(parseContentRange("bytes 0-2/3")!, bytes(3)).kind).toBe("error");
    expect(s.put(parseContentRange("bytes 0-9/*")!, bytes(10)).kind).toBe("complete");
  });

  it("completes an empty upload", () => {
    const done = session().put(parseContentRange("bytes 0-*/*")!, Buffer.alloc(0));
    expect(done.kind === "complete" && done.object.data.length).toBe(0);
  });
});
