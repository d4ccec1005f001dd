import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { S3TestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { type ClientOptions, measuredOnSdk, s3Client, s3Server } from "../s3/fixtures.js";
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

/** A finalize-step middleware, as the stack takes it (`as never`: its overloads are per step). */
type Middleware = (
  next: (args: unknown) => Promise<unknown>,
) => (args: unknown) => Promise<unknown>;

/** A client of each kind on the server, through a relay that sees request bodies arrive. */
async function clients(server: S3TestServer, options: ClientOptions = {}) {
  const relay = await relayTo(server.url);
  const make = (side: Side) =>
    s3Client(server, {
      ...options,
      wrapped: side === "wrapped",
      config: { endpoint: relay.url, ...options.config },
    });
  return { relay, bare: make("bare"), wrapped: make("wrapped") };
}

const put = (client: S3Client, key: string, gate: GatedStream, signal?: AbortSignal) =>
  client.send(
    new PutObjectCommand({
      Bucket: "b",
      Key: key,
      Body: gate.stream,
      ContentLength: gate.bytes.length,
    }),
    signal ? { abortSignal: signal } : {},
  );

async function stored(client: S3Client, key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: "b", Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/**
 * Whether a middleware sees the `abortSignal` given to `client.send`: from the SDK's context in
 * the newest clients; 3.700 passes it to the HTTP handler alone.
 */
const ABORT_SIGNAL_SEEN_BY_MIDDLEWARE = measuredOnSdk({ "3.700.0": false, "3.1178.0": true });

describe("S3 stream uploads: aborts, bare and wrapped side by side", () => {
  it("aborted before the send: the same AbortError at once, nothing sent, nothing said", async () => {
    const server = await s3Server();
    const sides = await clients(server);
    const errors: unknown[] = [];
    for (const side of SIDES) {
      const gate = gatedStream(4, KIB, { open: 4 });
      const before = server.attempts;
      const call = put(sides[side].client, `before-${side}`, gate, AbortSignal.abort());
      errors.push(await watch(call).failure());
      expect(server.attempts - before).toBe(0);
    }
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(errors[1]).toMatchObject({ name: "AbortError" });
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted while the body stalls after 1 KiB: settled while the stream is still stalled", async () => {
    const server = await s3Server();
    const sides = await clients(server);
    const errors = await abortWhileStalled(sides.relay, (side, key, gate, signal) =>
      put(sides[side].client, key, gate, signal),
    );
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(errors[1]).toMatchObject({ name: "AbortError" });
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted during a slow stream: settled before the stream's next chunk", async () => {
    const server = await s3Server();
    const sides = await clients(server);
    const errors = await abortDuringSlowStream(sides.relay, (side, key, gate, signal) =>
      put(sides[side].client, key, gate, signal),
    );
    expect(shapeOf(errors[1])).toEqual(shapeOf(errors[0]));
    expect(sides.wrapped.events).toEqual([]);
  });

  it("aborted during the resend: the AbortError unchanged, no recovery claimed", async () => {
    // The server refuses before the body (Expect: 100-continue), so the resend streams the
    // stream itself, and the stream stalls in it.
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const sides = await clients(server, { config: { expectContinueHeader: true } });

    const bareGate = gatedStream(64, KIB, { open: 1 });
    const bareBefore = server.attempts;
    const bare = await watch(put(sides.bare.client, "resend-bare", bareGate)).failure();
    // The bare SDK never retries a stream: it fails at once with the refusal.
    expect(bare).toMatchObject({ name: "RequestTimeTooSkewed" });
    expect(server.attempts - bareBefore).toBe(1);

    const gate = gatedStream(64, KIB, { open: 1 });
    const controller = new AbortController();
    const before = server.attempts;
    const started = sides.relay.bodiesStarted;
    let abortError: unknown;
    const witness: Middleware = (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        abortError = error;
        throw error;
      }
    };
    sides.wrapped.client.middlewareStack.addRelativeTo(witness as never, {
      relation: "after",
      toMiddleware: "httpSigningMiddleware",
      name: "abortWitness",
    });
    const call = watch(put(sides.wrapped.client, "resend-wrapped", gate, controller.signal));
    await until(() => sides.relay.bodiesStarted > started, "the resend's first body byte");
    expect(server.attempts - before).toBe(2);
    const { error, settleMs } = await abortAndSettle(controller, call);
    expect(settleMs, "ms from abort to settled").toBeLessThan(SETTLE_MARGIN_MS);
    expect(gate.produced).toBe(1);
    expect(error).toMatchObject({ name: "AbortError" });
    expect(error).toBe(abortError);
    const types = sides.wrapped.events.map((e) => e.type);
    expect(types).toContain("request.resigned");
    expect(types).not.toContain("request.recovered");
  });

  it("aborted between the refusal and the resend: nothing resent, no event claims one", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const sides = await clients(server);
    const outcomes: Array<{ error: unknown; attempts: number }> = [];
    for (const side of SIDES) {
      const controller = new AbortController();
      // Closest to the wire: the abort lands once the refusal is in, before anyone judges it.
      const abortOnAnswer: Middleware = (next) => async (args) => {
        try {
          return await next(args);
        } finally {
          controller.abort();
        }
      };
      sides[side].client.middlewareStack.addRelativeTo(abortOnAnswer as never, {
        relation: "after",
        toMiddleware: "httpSigningMiddleware",
        name: "abortOnAnswer",
      });
      const gate = gatedStream(8, KIB, { open: 8 });
      const before = server.attempts;
      const error = await watch(
        put(sides[side].client, `late-${side}`, gate, controller.signal),
      ).failure();
      outcomes.push({ error, attempts: server.attempts - before });
    }
    const [bare, wrapped] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]];
    expect(wrapped.attempts).toBe(1);
    expect(wrapped.attempts).toBe(bare.attempts);
    if (ABORT_SIGNAL_SEEN_BY_MIDDLEWARE) {
      expect(shapeOf(wrapped.error)).toEqual(shapeOf(bare.error));
      expect(sides.wrapped.events).toEqual([]);
    } else {
      // 3.700 hands the signal to its HTTP handler only: skewguard judges the refusal and
      // re-signs, and the handler refuses to send the resend. Nothing more reaches the server,
      // no event claims a recovery, and the caller gets the abort it asked for.
      expect(shapeOf(bare.error)).toMatchObject({ code: "RequestTimeTooSkewed", status: 403 });
      expect(shapeOf(wrapped.error)).toMatchObject({ name: "AbortError" });
      expect(sides.wrapped.events.map((e) => e.type)).not.toContain("request.recovered");
    }
  });
});

describe("S3 stream uploads: the first attempt streams, a copy is kept for the resend", () => {
  it("the server has the first body byte while the stream has given only its first chunk", async () => {
    const server = await s3Server();
    const sides = await clients(server);
    for (const side of SIDES) {
      const gate = gatedStream(16, 16 * KIB, { open: 1 });
      const started = sides.relay.bodiesStarted;
      const call = watch(put(sides[side].client, `first-${side}`, gate));
      await until(() => sides.relay.bodiesStarted > started, `${side}: the first body byte`);
      expect(gate.produced).toBe(1);
      gate.release(15);
      await call.value();
      expect(server.objects.get(`b/first-${side}`)?.equals(gate.bytes)).toBe(true);
    }
    expect(sides.wrapped.events).toEqual([]);
  });

  it("within replayBufferBytes at +20 min: streamed, resent from the copy, read back identical", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const sides = await clients(server, { replayBufferBytes: 256 * KIB });

    const bareGate = gatedStream(16, 16 * KIB, { open: 16 });
    const bareBefore = server.attempts;
    const bare = await watch(put(sides.bare.client, "within-bare", bareGate)).failure();
    expect(bare).toMatchObject({ name: "RequestTimeTooSkewed" });
    expect(server.attempts - bareBefore).toBe(1);

    const gate = gatedStream(16, 16 * KIB, { open: 1 }); // exactly the cap
    const before = server.attempts;
    const started = sides.relay.bodiesStarted;
    const call = watch(put(sides.wrapped.client, "within", gate));
    await until(() => sides.relay.bodiesStarted > started, "the first body byte");
    expect(gate.produced).toBe(1);
    gate.release(15);
    await call.value();
    expect(server.attempts - before).toBe(2);
    expect(gate.produced).toBe(16); // the resend came from the copy, not from a second read
    expect(server.objects.get("b/within")?.equals(gate.bytes)).toBe(true);
    expect((await stored(sides.wrapped.client, "within")).equals(gate.bytes)).toBe(true);
    expect(sides.wrapped.events.map((e) => e.type)).toContain("request.recovered");
  });

  it("over replayBufferBytes at +20 min: one attempt, body-not-replayable, the bare SDK's error", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    const sides = await clients(server, { replayBufferBytes: 64 * KIB });
    const outcomes: Array<{ error: unknown; attempts: number }> = [];
    for (const side of SIDES) {
      const gate = gatedStream(8, 16 * KIB, { open: 8 });
      const before = server.attempts;
      const error = await watch(put(sides[side].client, `over-${side}`, gate)).failure();
      outcomes.push({ error, attempts: server.attempts - before });
      expect(server.objects.has(`b/over-${side}`)).toBe(false);
    }
    expect(outcomes.map((o) => o.attempts)).toEqual([1, 1]);
    expect(shapeOf(outcomes[1]?.error)).toEqual(shapeOf(outcomes[0]?.error));
    expect(sides.wrapped.events).toContainEqual(
      expect.objectContaining({ type: "recovery.skipped", reason: "body-not-replayable" }),
    );
    expect(sides.wrapped.events.map((e) => e.type)).not.toContain("request.resigned");
  });
});

describe("S3 stream uploads: a body the copy cannot hold goes out whole, once", () => {
  it("over replayBufferBytes, clocks agreeing: both sides store every byte in one attempt", async () => {
    const server = await s3Server();
    const sides = await clients(server, { replayBufferBytes: 64 * KIB });
    for (const side of SIDES) {
      const gate = gatedStream(24, 16 * KIB, { open: 24 }); // 384 KiB, six times the cap
      const before = server.attempts;
      await watch(put(sides[side].client, `whole-${side}`, gate)).value();
      expect(server.attempts - before).toBe(1);
      expect(server.objects.get(`b/whole-${side}`)?.equals(gate.bytes)).toBe(true);
    }
    expect(sides.wrapped.events).toEqual([]);
  });

  it("concurrent uploads at +20 min share one budget: those it holds are resent, the rest fail as bare", async () => {
    const server = await s3Server({ clockOffsetMs: 20 * MINUTE });
    // 64 KiB, plus 64 KiB of room for framing: two 48 KiB copies at once, not three.
    const sides = await clients(server, { replayBufferBytes: 64 * KIB });
    const uploads = 4;
    const outcomes: Record<
      Side,
      Array<{ key: string; gate: GatedStream; ok: boolean; error?: unknown }>
    > = { bare: [], wrapped: [] };
    for (const side of SIDES) {
      const gates = Array.from({ length: uploads }, () => gatedStream(3, 16 * KIB, { open: 1 }));
      const calls = gates.map((gate, i) =>
        watch(put(sides[side].client, `many-${side}-${i}`, gate)),
      );
      // Every body has given its first chunk (and so asked for its copy) before any goes on.
      await until(() => gates.every((gate) => gate.produced === 1), `${side}: every first chunk`);
      for (const gate of gates) gate.release(2);
      for (const [i, call] of calls.entries()) {
        const gate = gates[i] as GatedStream;
        const key = `many-${side}-${i}`;
        const ok = await call.value().then(
          () => true,
          () => false,
        );
        outcomes[side].push({ key, gate, ok, ...(ok ? {} : { error: await call.failure() }) });
      }
    }
    expect(outcomes.bare.filter((o) => o.ok)).toHaveLength(0);
    const resent = outcomes.wrapped.filter((o) => o.ok);
    const declined = outcomes.wrapped.filter((o) => !o.ok);
    expect(resent).toHaveLength(2);
    for (const o of resent)
      expect(server.objects.get(`b/${o.key}`)?.equals(o.gate.bytes)).toBe(true);
    for (const o of declined) {
      expect(server.objects.has(`b/${o.key}`)).toBe(false);
      expect(shapeOf(o.error)).toEqual(shapeOf(outcomes.bare[0]?.error));
    }
    const types = sides.wrapped.events.map((e) => e.type);
    expect(types.filter((t) => t === "request.recovered")).toHaveLength(2);
    expect(
      sides.wrapped.events.filter(
        (e) => e.type === "recovery.skipped" && e.reason === "body-not-replayable",
      ),
    ).toHaveLength(2);
    // Every upload was read exactly once from its stream: nothing was read ahead or twice.
    for (const o of [...outcomes.bare, ...outcomes.wrapped]) expect(o.gate.produced).toBe(3);
  });
});
