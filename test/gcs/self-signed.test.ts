import { describe, expect, it } from "vitest";
import {
  expectNothingSecret,
  failureOf,
  gcsServer,
  recorder,
  SKEWS,
  storageFor,
} from "./fixtures.js";

// A universe other than googleapis.com makes google-auth-library 9 send self-signed JWTs.
const UNIVERSE = "fake.test";

describe.each(SKEWS)("self-signed JWTs with the server clock %s", (_, skew) => {
  it("the bare SDK is refused (401)", async () => {
    const server = await gcsServer(skew);
    const storage = await storageFor(server, { wrap: false, universeDomain: UNIVERSE });
    const failure = await failureOf(storage.bucket("bkt").getFiles());
    expect(failure?.message).toBe("Invalid Credentials");
    expect(server.counts).toEqual({ token: 0, json: 1, xml: 0 });
  });

  it("with skewguard: one probe, then every request is accepted", async () => {
    const server = await gcsServer(skew);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options, universeDomain: UNIVERSE });
    const file = storage.bucket("bkt").file("s.txt");
    await file.save("self-signed", { resumable: false });
    const [data] = await file.download();
    const [files] = await storage.bucket("bkt").getFiles();
    await file.delete();

    expect(data.toString()).toBe("self-signed");
    expect(files.map((f) => f.name)).toEqual(["s.txt"]);
    expect(server.counts).toEqual({ token: 0, json: 4, xml: 1 });
    expectNothingSecret([...rec.events.map((e) => JSON.stringify(e)), ...rec.lines], []);
  });
});

describe("self-signed JWTs without the probe", () => {
  it("the first request is refused, its Date is learned, the next one is accepted", async () => {
    const server = await gcsServer(SKEWS[0][1]);
    const rec = recorder();
    const storage = await storageFor(server, {
      wrap: { ...rec.options, probe: false },
      universeDomain: UNIVERSE,
    });
    const first = await failureOf(storage.bucket("bkt").getFiles());
    const second = await failureOf(storage.bucket("bkt").getFiles());
    expect(first?.message).toBe("Invalid Credentials");
    expect(second).toBeUndefined();
    expect(server.counts).toEqual({ token: 0, json: 2, xml: 0 });
    expect(rec.types()).toContain("skew.detected");
  });
});
