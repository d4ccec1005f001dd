import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startAzureSkewProxy } from "./azure-skew-proxy.js";
import { startGcsTestServer } from "./gcs-server.js";
import { startIdleTimer } from "./idle-timer.js";
import { startS3TestServer } from "./s3-server.js";

const DAY = 24 * 3_600_000;

// Only the timers the idle logic uses: sockets and the HTTP machinery keep real time.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("startIdleTimer", () => {
  it("fires once nothing has been in flight for the timeout", () => {
    const onIdle = vi.fn();
    startIdleTimer(50, onIdle);
    vi.advanceTimersByTime(49);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("never fires for 0, or for any value that is not a positive number", () => {
    for (const never of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const onIdle = vi.fn();
      const timer = startIdleTimer(never, onIdle);
      timer.enter()();
      vi.advanceTimersByTime(400 * DAY);
      expect(onIdle, String(never)).not.toHaveBeenCalled();
    }
  });

  it("cuts a delay setTimeout cannot hold instead of firing at once", () => {
    const onIdle = vi.fn();
    startIdleTimer(2 ** 40, onIdle);
    vi.advanceTimersByTime(DAY);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 ** 31);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("waits for requests in flight, and counts from the end of the last one", () => {
    const onIdle = vi.fn();
    const timer = startIdleTimer(50, onIdle);
    const first = timer.enter();
    const second = timer.enter();
    vi.advanceTimersByTime(1_000);
    first();
    first(); // twice is once
    vi.advanceTimersByTime(1_000);
    expect(onIdle).not.toHaveBeenCalled();
    second();
    vi.advanceTimersByTime(49);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("stays quiet once stopped", () => {
    const onIdle = vi.fn();
    const timer = startIdleTimer(50, onIdle);
    timer.stop();
    timer.enter()();
    vi.advanceTimersByTime(DAY);
    expect(onIdle).not.toHaveBeenCalled();
  });
});

/** Whether something accepts TCP connections at `url`. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Every testkit server, started with an idle timeout, as a URL to probe and a way to stop it. */
const SERVERS = {
  s3: async (idleTimeoutMs: number) => {
    const server = await startS3TestServer({ idleTimeoutMs });
    return { url: server.url, close: () => server.close() };
  },
  gcs: async (idleTimeoutMs: number) => {
    const server = await startGcsTestServer({ idleTimeoutMs });
    return { url: server.url, close: () => server.close() };
  },
  // The proxy alone: its idle timer is what stops Azurite too.
  azure: async (idleTimeoutMs: number) => {
    const proxy = await startAzureSkewProxy({ target: "http://127.0.0.1:9", idleTimeoutMs });
    return { url: proxy.origin, close: () => proxy.close() };
  },
};

describe.each(Object.keys(SERVERS) as (keyof typeof SERVERS)[])(
  "%s server idleTimeoutMs",
  (kind) => {
    it("0 keeps it up for good", async () => {
      const server = await SERVERS[kind](0);
      try {
        vi.advanceTimersByTime(400 * DAY);
        expect(await accepts(server.url)).toBe(true);
      } finally {
        await server.close();
      }
    });

    it("a positive value stops it once idle that long", async () => {
      const server = await SERVERS[kind](50);
      try {
        vi.advanceTimersByTime(49);
        expect(await accepts(server.url)).toBe(true);
        vi.advanceTimersByTime(1);
        expect(await accepts(server.url)).toBe(false);
      } finally {
        await server.close();
      }
    });
  },
);
