import { describe, expect, it } from "vitest";
import { readUpTo } from "./input.js";

describe("readUpTo", () => {
  it("stops pulling once it holds the limit, and ends the iteration", async () => {
    let pulled = 0;
    let ended = false;
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield new Uint8Array(1000).fill(97);
        }
      } finally {
        ended = true;
      }
    }
    const text = await readUpTo(endless(), 2500);
    expect(text).toBe("a".repeat(2500));
    expect(pulled).toBe(3);
    expect(ended).toBe(true);
  });

  it("reads strings and bytes, a short input whole", async () => {
    async function* parts() {
      yield "é";
      yield Buffer.from("llo");
    }
    expect(await readUpTo(parts(), 100)).toBe("éllo");
  });
});
