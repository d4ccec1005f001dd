import { getSignedUrl } from "@skewguard/gcs";
import { describe, expect, it } from "vitest";
import { gcsServer, MINUTE, recorder, signedTimes, storageFor } from "./fixtures.js";

// Long, so that a slow machine cannot end it between two steps of the test: the test moves
// the local clock past it.
const INTERVAL_MS = 60_000;

describe("the JSON API's answers keep the signing clock current", () => {
  it("a server clock that steps 20 minutes back shows in the URLs signed after the next reading, one interval later", async () => {
    const server = await gcsServer(0);
    server.objects.set("bkt/k", Buffer.from("sampled"));
    const rec = recorder();
    // The local clock is the test's: the sampling interval passes when the test says so.
    let localAheadMs = 0;
    const clock = { now: () => Date.now() + localAheadMs };
    const storage = await storageFor(server, {
      wrap: { ...rec.options, clock, probe: false, successSampleIntervalMs: INTERVAL_MS },
    });
    const file = storage.bucket("bkt").file("k");
    const expires = Date.now() + 10 * MINUTE;
    const sign = async () =>
      (await getSignedUrl(file, { version: "v4", action: "read", expires }))[0];

    await storage.bucket("bkt").getFiles(); // read: nothing was known
    server.setClockOffset(-20 * MINUTE);

    // Within the interval of that reading, answers are not read: the URL is still signed on
    // the clock learned before the step, and the server refuses it as not yet valid.
    await file.download();
    const early = await sign();
    expect(Math.abs(signedTimes(early).dateMs - Date.now())).toBeLessThan(5_000);
    expect((await fetch(early)).status).toBe(400);
    expect(rec.types()).not.toContain("skew.detected");

    // One interval on, the next answer is read (the stream form, a download), and so is the
    // one after it while that reading waits for corroboration.
    localAheadMs = INTERVAL_MS;
    await file.download();
    await file.download();
    const late = await sign();
    expect(Math.abs(signedTimes(late).dateMs - server.now())).toBeLessThan(5_000);
    const fetched = await fetch(late);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe("sampled");
    expect(rec.types()).toContain("skew.detected");
    // Nothing but the test's own requests reached the server: no probe, no extra grant.
    expect(server.counts).toEqual({ token: 1, json: 4, xml: 2 });
  });
});
