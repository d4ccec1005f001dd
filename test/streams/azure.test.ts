import {
  BlobServiceClient,
  type BlockBlobClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import type { AzureTestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { azureServerPerFile, createContainer } from "../azure/fixtures.js";
import type { BodyRelay } from "./body-relay.mjs";
import {
  KIB,
  MINUTE,
  SETTLE_MARGIN_MS,
  SIDES,
  abortAndSettle,
  abortDuringSlowStream,
  abortWhileStalled,
  gatedStream,
  relayTo,
  shapeOf,
  type GatedStream,
  type Side,
  until,
  watch,
} from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "streams";

/** The shape of a core-rest-pipeline policy (the package is the SDK's, not this suite's). */
interface Sent {
  status: number;
}
interface PipelinePolicy {
  name: string;
  sendRequest(request: unknown, next: (request: unknown) => Promise<Sent>): Promise<Sent>;
}

interface Client {
  service: BlobServiceClient;
  events: SkewguardEvent[];
  blob(name: string): BlockBlobClient;
  /** Adds a policy between skewguard's and the wire (after the Sign phase). */
  nearTheWire(policy: PipelinePolicy): void;
}

/** A client of each kind on the server, through a relay that sees request bodies arrive. */
async function clients(
  test: AzureTestServer,
  options: { replayBufferBytes?: number } = {},
): Promise<{ relay: BodyRelay; bare: Client; wrapped: Client }> {
  await createContainer(test, CONTAINER);
  const origin = new URL(test.serviceUrl);
  const relay = await relayTo(origin.origin);
  const make = (side: Side): Client => {
    const events: SkewguardEvent[] = [];
    const service = new BlobServiceClient(
      `${relay.url}${origin.pathname}`,
      new StorageSharedKeyCredential(test.accountName, test.accountKey),
    );
    if (side === "wrapped") {
      withSkewRecovery(service, {
        offsets: new OffsetStore(),
        onEvent: (event) => events.push(event),
        ...options,
      });
    }
    const pipeline = (
      service as unknown as {
        storageClientContext: {
          pipeline: { addPolicy(p: PipelinePolicy, o: { afterPhase: "Sign" }): void };
        };
      }
    ).storageClientContext.pipeline;
    return {
      service,
      events,
      blob: (name) => service.getContainerClient(CONTAINER).getBlockBlobClient(name),
      nearTheWire: (policy) => pipeline.addPolicy(policy, { afterPhase: "Sign" }),
    };
  };
  return { relay, bare: make("bare"), wrapped: make("wrapped") };
}

const upload = (client: Client, name: string, gate: GatedStream, signal?: AbortSignal) =>
  client.blob(name).upload(gate.stream, gate.bytes.length, signal ? { abortSignal: signal } : {});

/** Requests the proxy received while `fn` ran. */
async function attemptsOf(fn: () => Promise<unknown>): Promise<number> {
  const before = server().attempts;
  await fn();
  return server().attempts - before;
}

describe("Azure stream uploads: aborts, bare and wrapped side by side", () => {
  it("aborted before the send: the same AbortError at once, nothing sent, nothing said", async () => {
    const sides = await clients(server());
    const errors: unknown[] = [];
    for (const side of SIDES) {
      const gate = gatedStream(4, KIB, { open: 4 });
      const attempts = await attemptsOf(async () => {
        errors.push(
          await watch(upload(sides[side], `before-${side}`, gate, AbortSignal.abort())).failure(),
        );
      });
      expect(attempts).toBe(0);
    }
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(errors[1]).toMatchObject({ name: "AbortError" });
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted while the body stalls after 1 KiB: settled while the stream is still stalled", async () => {
    const sides = await clients(server());
    const errors = await abortWhileStalled(sides.relay, (side, key, gate, signal) =>
      upload(sides[side], key, gate, signal),
    );
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(errors[1]).toMatchObject({ name: "AbortError" });
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted during a slow stream: settled before the stream's next chunk", async () => {
    const sides = await clients(server());
    const errors = await abortDuringSlowStream(sides.relay, (side, key, gate, signal) =>
      upload(sides[side], key, gate, signal),
    );
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted during the resend: the AbortError unchanged, no recovery claimed", async () => {
    server().setClockOffset(20 * MINUTE);
    const sides = await clients(server());

    const bareGate = gatedStream(8, KIB, { open: 8 });
    let bare: unknown;
    const bareAttempts = await attemptsOf(async () => {
      bare = await watch(upload(sides.bare, "resend-bare", bareGate)).failure();
    });
    // The bare SDK never retries a 403: it fails at once with the refusal.
    expect(bare).toMatchObject({ statusCode: 403 });
    expect(bareAttempts).toBe(1);

    let wireError: unknown;
    let sent = 0;
    sides.wrapped.nearTheWire({
      name: "stallTheResend",
      sendRequest: async (request, next) => {
        // The resend goes to a front end that takes it and never answers.
        if (++sent === 2) server().setFaults({ stall: true });
        try {
          return await next(request);
        } catch (error) {
          wireError = error;
          throw error;
        }
      },
    });
    const gate = gatedStream(8, KIB, { open: 8 });
    const controller = new AbortController();
    const before = server().attempts;
    const call = watch(upload(sides.wrapped, "resend-wrapped", gate, controller.signal));
    await until(() => server().attempts - before === 2, "the resend at the server");
    expect(call.settled).toBe(false);
    const { error, settleMs } = await abortAndSettle(controller, call);
    expect(settleMs, "ms from abort to settled").toBeLessThan(SETTLE_MARGIN_MS);
    server().setFaults({});
    expect(error).toMatchObject({ name: "AbortError" });
    expect(error).toBe(wireError);
    const types = sides.wrapped.events.map((e) => e.type);
    expect(types).toContain("request.resigned");
    expect(types).not.toContain("request.recovered");
  });

  it("aborted between the refusal and the resend: nothing resent, no event claims one", async () => {
    server().setClockOffset(20 * MINUTE);
    const sides = await clients(server());
    const outcomes: Array<{ error: unknown; attempts: number }> = [];
    for (const side of SIDES) {
      const controller = new AbortController();
      // Closest to the wire: the abort lands once the refusal is in, before anyone judges it.
      sides[side].nearTheWire({
        name: "abortOnAnswer",
        sendRequest: async (request, next) => {
          try {
            return await next(request);
          } finally {
            controller.abort();
          }
        },
      });
      const gate = gatedStream(8, KIB, { open: 8 });
      let error: unknown;
      const attempts = await attemptsOf(async () => {
        error = await watch(upload(sides[side], `late-${side}`, gate, controller.signal)).failure();
      });
      outcomes.push({ error, attempts });
    }
    const [bare, wrapped] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]];
    expect(wrapped.attempts).toBe(1);
    expect(wrapped.attempts).toBe(bare.attempts);
    expect(shapeOf(wrapped.error)).toEqual(shapeOf(bare.error));
    expect(wrapped.error).toMatchObject({ statusCode: 403 });
    expect(sides.wrapped.events).toEqual([]);
  });
});

describe("Azure stream uploads: the first attempt streams, a copy is kept for the resend", () => {
  it("the server has the first body byte while the stream has given only its first chunk", async () => {
    const sides = await clients(server());
    for (const side of SIDES) {
      const gate = gatedStream(16, 16 * KIB, { open: 1 });
      const started = sides.relay.bodiesStarted;
      const call = watch(upload(sides[side], `first-${side}`, gate));
      await until(() => sides.relay.bodiesStarted > started, `${side}: the first body byte`);
      expect(gate.produced).toBe(1);
      gate.release(15);
      await call.value();
      expect((await sides[side].blob(`first-${side}`).downloadToBuffer()).equals(gate.bytes)).toBe(
        true,
      );
    }
    expect(sides.wrapped.events).toEqual([]);
  });

  it("within replayBufferBytes at +20 min: streamed, resent from the copy, read back identical", async () => {
    server().setClockOffset(20 * MINUTE);
    const sides = await clients(server(), { replayBufferBytes: 256 * KIB });

    const bareGate = gatedStream(16, 16 * KIB, { open: 16 });
    let bare: unknown;
    const bareAttempts = await attemptsOf(async () => {
      bare = await watch(upload(sides.bare, "within-bare", bareGate)).failure();
    });
    expect(bare).toMatchObject({ statusCode: 403 });
    expect(bareAttempts).toBe(1);

    const gate = gatedStream(16, 16 * KIB, { open: 1 }); // exactly the cap
    const started = sides.relay.bodiesStarted;
    const attempts = await attemptsOf(async () => {
      const call = watch(upload(sides.wrapped, "within", gate));
      await until(() => sides.relay.bodiesStarted > started, "the first body byte");
      expect(gate.produced).toBe(1);
      gate.release(15);
      await call.value();
    });
    expect(attempts).toBe(2);
    expect(gate.produced).toBe(16); // the resend came from the copy, not from a second read
    const stored = await sides.wrapped.blob("within").downloadToBuffer();
    expect(stored.equals(gate.bytes)).toBe(true);
    expect(sides.wrapped.events.map((e) => e.type)).toContain("request.recovered");
  });

  it("over replayBufferBytes at +20 min: one attempt, body-not-replayable, the bare SDK's error", async () => {
    server().setClockOffset(20 * MINUTE);
    const sides = await clients(server(), { replayBufferBytes: 64 * KIB });
    const outcomes: Array<{ error: unknown; attempts: number }> = [];
    for (const side of SIDES) {
      const gate = gatedStream(8, 16 * KIB, { open: 8 });
      let error: unknown;
      const attempts = await attemptsOf(async () => {
        error = await watch(upload(sides[side], `over-${side}`, gate)).failure();
      });
      outcomes.push({ error, attempts });
    }
    expect(outcomes.map((o) => o.attempts)).toEqual([1, 1]);
    expect(shapeOf(outcomes[1]?.error)).toEqual(shapeOf(outcomes[0]?.error));
    expect(sides.wrapped.events).toContainEqual(
      expect.objectContaining({ type: "recovery.skipped", reason: "body-not-replayable" }),
    );
    expect(sides.wrapped.events.map((e) => e.type)).not.toContain("request.resigned");
  });
});

describe("Azure stream uploads: a body the copy cannot hold goes out whole, once", () => {
  it("over replayBufferBytes, clocks agreeing: both sides store every byte in one attempt", async () => {
    const sides = await clients(server(), { replayBufferBytes: 64 * KIB });
    for (const side of SIDES) {
      const gate = gatedStream(24, 16 * KIB, { open: 24 }); // 384 KiB, six times the cap
      const attempts = await attemptsOf(() => upload(sides[side], `whole-${side}`, gate));
      expect(attempts).toBe(1);
      const stored = await sides[side].blob(`whole-${side}`).downloadToBuffer();
      expect(stored.equals(gate.bytes)).toBe(true);
    }
    expect(sides.wrapped.events).toEqual([]);
  });

  it("concurrent uploads at +20 min share one budget: those it holds are resent, the rest fail as bare", async () => {
    server().setClockOffset(20 * MINUTE);
    // 64 KiB, plus 64 KiB of room for framing: two 48 KiB copies at once, not three.
    const sides = await clients(server(), { replayBufferBytes: 64 * KIB });
    const uploads = 4;
    type Outcome = { name: string; gate: GatedStream; ok: boolean; error?: unknown };
    const outcomes: Record<Side, Outcome[]> = { bare: [], wrapped: [] };
    for (const side of SIDES) {
      const gates = Array.from({ length: uploads }, () => gatedStream(3, 16 * KIB, { open: 1 }));
      const calls = gates.map((gate, i) => watch(upload(sides[side], `many-${side}-${i}`, gate)));
      // Every body has given its first chunk (and so asked for its copy) before any goes on.
      await until(() => gates.every((gate) => gate.produced === 1), `${side}: every first chunk`);
      for (const gate of gates) gate.release(2);
      for (const [i, call] of calls.entries()) {
        const ok = await call.value().then(
          () => true,
          () => false,
        );
        const name = `many-${side}-${i}`;
        const gate = gates[i] as GatedStream;
        outcomes[side].push({ name, gate, ok, ...(ok ? {} : { error: await call.failure() }) });
      }
    }
    const events = [...sides.wrapped.events];
    // Read back on agreeing clocks, through the bare client (the wrapped one has learned +20 min).
    server().setClockOffset(0);
    expect(outcomes.bare.filter((o) => o.ok)).toHaveLength(0);
    const resent = outcomes.wrapped.filter((o) => o.ok);
    const declined = outcomes.wrapped.filter((o) => !o.ok);
    expect(resent).toHaveLength(2);
    for (const o of resent) {
      const stored = await sides.bare.blob(o.name).downloadToBuffer();
      expect(stored.equals(o.gate.bytes)).toBe(true);
    }
    for (const o of declined) {
      expect(await sides.bare.blob(o.name).exists()).toBe(false);
      expect(shapeOf(o.error)).toEqual(shapeOf(outcomes.bare[0]?.error));
    }
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "request.recovered")).toHaveLength(2);
    expect(
      events.filter((e) => e.type === "recovery.skipped" && e.reason === "body-not-replayable"),
    ).toHaveLength(2);
    // Every upload was read exactly once from its stream: nothing was read ahead or twice.
    for (const o of [...outcomes.bare, ...outcomes.wrapped]) expect(o.gate.produced).toBe(3);
  });
});
