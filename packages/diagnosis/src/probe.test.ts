import { describe, expect, it } from "vitest";
import { OffsetStore } from "./offset-store.js";
import { SkewRecovery } from "./recovery.js";

const LOCAL = Date.parse("2026-11-23T10:00:00Z");
const AHEAD_MS = 20 * 60_000;

/**
 * A fetch that answers 403 with the server's Date, counting calls; no network. Nothing is
 * answered until `answer()`: the test decides when the probe is still in flight.
 */
function fakeFetch() {
  const calls: { url: string; method: string | undefined }[] = [];
  let answer: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const fetch = (async (url: URL | string, init?: RequestInit) => {
    calls.push({ url: String(url), method: init?.method });
    await answered;
    return new Response(null, {
      status: 403,
      headers: { date: new Date(LOCAL + AHEAD_MS).toUTCString() },
    });
  }) as typeof globalThis.fetch;
  return { fetch, calls, answer };
}

function engine() {
  const clock = { now: () => LOCAL };
  return new SkewRecovery("s3", { clock, offsets: new OffsetStore({ clock }) });
}

describe("SkewRecovery.probe", () => {
  it("reads the server's clock with one HEAD of the root, shared by concurrent callers", async () => {
    const recovery = engine();
    const { fetch, calls, answer } = fakeFetch();
    const url = "https://bucket.s3.example.com:9000/key?X-Amz-Signature=abc";
    // All 20 ask while the first probe is unanswered.
    const pending = Array.from({ length: 20 }, () =>
      recovery.probe(url, "bucket.s3.example.com:9000", { fetch }),
    );
    answer();
    const results = await Promise.all(pending);
    expect(calls).toEqual([{ url: "https://bucket.s3.example.com:9000/", method: "HEAD" }]);
    for (const e of results)
      expect(Math.abs((e?.offsetMs ?? 0) - AHEAD_MS)).toBeLessThanOrEqual(1_000);
    await recovery.probe(url, "bucket.s3.example.com:9000", { fetch });
    expect(calls).toHaveLength(1); // known now: no second probe
  });

  it("leaves nothing learned, and never throws, when the endpoint is unreachable", async () => {
    const recovery = engine();
    const failing = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof globalThis.fetch;
    await expect(
      recovery.probe("https://down.example:1/", "down.example:1", { fetch: failing }),
    ).resolves.toBeUndefined();
    expect(recovery.offsetMs("down.example:1")).toBe(0);
  });
});
