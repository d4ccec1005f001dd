import { pipeline } from "node:stream/promises";
import { type GcsTestServer, INVALID_JWT_TIME } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { gcsServer, MINUTE, recorder, storageFor } from "../gcs/fixtures.js";
import { gatedStream, KIB, relayTo, until, watch } from "./fixtures.js";

// skewguard holds no GCS request body: uploads go out with a bearer token, which carries no
// clock, so only the token grant (a small form, no stream) is ever resent. These tests pin that
// a stream upload through the wrapped Storage is the bare SDK's, byte for byte, read once.
describe("GCS stream uploads, bare and wrapped side by side", () => {
  it("the server has the first body byte while the stream has given only its first chunk", async () => {
    const server = await gcsServer(0);
    const relay = await relayTo(server.url);
    // The API through the relay; token grants go to the fake directly.
    const target = Object.assign(Object.create(server) as GcsTestServer, { url: relay.url });
    for (const wrap of [false, recorder().options] as const) {
      const storage = await storageFor(target, { wrap });
      const gate = gatedStream(16, 16 * KIB, { open: 1 });
      const name = `first-${wrap === false ? "bare" : "wrapped"}`;
      const started = relay.bodiesStarted;
      const call = watch(
        pipeline(
          gate.stream,
          storage.bucket("bkt").file(name).createWriteStream({ resumable: false }),
        ),
      );
      await until(() => relay.bodiesStarted > started, `${name}: the first body byte`);
      expect(gate.produced).toBe(1);
      gate.release(15);
      await call.value();
      expect(server.objects.get(`bkt/${name}`)?.equals(gate.bytes)).toBe(true);
    }
  });

  it("at +20 min the grant is resent, the stream is not: read once, stored identical; bare fails", async () => {
    const server = await gcsServer(20 * MINUTE);
    const bareStorage = await storageFor(server, { wrap: false });
    const bareGate = gatedStream(8, 16 * KIB, { open: 8 });
    const bare = await watch(
      pipeline(
        bareGate.stream,
        bareStorage.bucket("bkt").file("bare").createWriteStream({ resumable: false }),
      ),
    ).failure();
    expect((bare as Error).message).toBe(`invalid_grant: ${INVALID_JWT_TIME}`);
    expect(server.objects.has("bkt/bare")).toBe(false);

    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const gate = gatedStream(8, 16 * KIB, { open: 8 });
    await watch(
      pipeline(
        gate.stream,
        storage.bucket("bkt").file("wrapped").createWriteStream({ resumable: false }),
      ),
    ).value();
    expect(gate.produced).toBe(8);
    expect(server.objects.get("bkt/wrapped")?.equals(gate.bytes)).toBe(true);
    expect(rec.events.find((e) => e.type === "request.recovered")).toMatchObject({
      operation: "token.grant",
    });
  });
});
