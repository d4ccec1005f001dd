import { describe, expect, it } from "vitest";
import { delayToTick, measureOffset } from "./measure.js";

/**
 * A simulated world: one clock that sleeping advances, and a server whose clock is the local one
 * plus `offsetMs`, stamping a whole-second `Date` halfway through each round trip.
 */
function world(offsetMs: number, roundTripMs: number) {
  let now = Date.parse("2026-11-23T10:00:00.123Z");
  const seen: number[] = [];
  return {
    seen,
    io: {
      clock: { now: () => now },
      sleep: async (ms: number) => {
        now += ms;
      },
      fetch: (async () => {
        now += roundTripMs / 2;
        const serverNow = now + offsetMs;
        seen.push(serverNow);
        now += roundTripMs / 2;
        return new Response(null, {
          status: 403,
          headers: { date: new Date(serverNow).toUTCString() },
        });
      }) as typeof fetch,
    },
  };
}

describe("measureOffset", () => {
  it.each([0, 1_200_437, -180_987, 250])(
    "finds an offset of %i ms to a few ms with 8 requests",
    async (offsetMs) => {
      const { io } = world(offsetMs, 4);
      const { estimate, attempts } = await measureOffset(new URL("http://s.test/"), io, {
        count: 8,
        timeoutMs: 1_000,
      });
      expect(attempts).toHaveLength(8);
      expect(estimate).toBeDefined();
      expect(estimate!.lowMs).toBeLessThanOrEqual(offsetMs);
      expect(estimate!.highMs).toBeGreaterThanOrEqual(offsetMs);
      // One Date header alone bounds it to a second; timed requests halve that each time.
      expect(estimate!.highMs - estimate!.lowMs).toBeLessThan(25);
    },
  );

  it("one Date header alone bounds the offset to a second, no better", async () => {
    const { io } = world(500, 4);
    const alone = await measureOffset(new URL("http://s.test/"), io, {
      count: 1,
      timeoutMs: 1_000,
    });
    expect(alone.estimate!.highMs - alone.estimate!.lowMs).toBeGreaterThanOrEqual(1_000);
  });

  it("sends to the origin and path, never the query; gives up early on a dead endpoint", async () => {
    const urls: string[] = [];
    const io = {
      clock: { now: () => 0 },
      sleep: async () => {},
      fetch: (async (url: string) => {
        urls.push(url);
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
        });
      }) as unknown as typeof fetch,
    };
    const result = await measureOffset(new URL("http://s.test/b/k?sig=secret&x=1"), io, {
      count: 8,
      timeoutMs: 100,
    });
    expect(urls).toEqual(["http://s.test/b/k", "http://s.test/b/k"]);
    expect(result.estimate).toBeUndefined();
    expect(result.attempts[0]!.error).toBe("ECONNREFUSED: connect ECONNREFUSED");
  });
});

describe("delayToTick", () => {
  it("aims the arrival at the server's next whole second, by the midpoint offset", () => {
    const estimate = { offsetMs: 300, lowMs: 0, highMs: 600, samples: 1, updatedAt: 0 };
    // Server time at arrival = 10_000 + 300 + 5 = 10_305: the next second is 695 ms away.
    expect(delayToTick(estimate, 10_000, 10)).toBe(695);
    expect(delayToTick(estimate, 10_695, 10)).toBe(0);
  });
});
