import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { afterEach, expect } from "vitest";
import { type BodyRelay, firstByteRelay } from "./body-relay.mjs";

export const KIB = 1024;
export const MINUTE = 60_000;

/**
 * A stream on a timeline the test controls: it hands out one chunk per `release()`, and nothing
 * else, ever. `stalled` after its first chunk is a stream that stalls after 1 KiB; releasing
 * chunk by chunk is a slow stream, without a clock.
 */
export interface GatedStream {
  readonly stream: Readable;
  /** Chunks handed to whoever reads the stream. */
  readonly produced: number;
  /** Lets `n` more chunks out (each as soon as it is asked for). */
  release(n?: number): void;
  /** Every chunk it will ever give, concatenated. */
  readonly bytes: Buffer;
}

export function gatedStream(
  chunks: number,
  chunkBytes: number,
  { open = 0 }: { open?: number } = {},
): GatedStream {
  const parts = Array.from({ length: chunks }, (_, i) =>
    Buffer.from(Array.from({ length: chunkBytes }, (_, j) => (i * 31 + j * 7) % 256)),
  );
  let allowed = open;
  let produced = 0;
  let asked = false;
  const give = (stream: Readable) => {
    while (asked && produced < allowed && produced < chunks) {
      asked = stream.push(parts[produced++]);
      if (produced === chunks) stream.push(null);
    }
  };
  const stream = new Readable({
    read() {
      asked = true;
      give(this);
    },
  });
  return {
    stream,
    get produced() {
      return produced;
    },
    release(n = 1) {
      allowed += n;
      give(stream);
    },
    bytes: Buffer.concat(parts),
  };
}

/** Waits until `condition()` holds, checking after each turn of the event loop. */
export async function until(condition: () => boolean, what: string, turns = 5_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * How long after `abort()` a call may take to settle. The target is 50 ms, as bare;
 * the margin is for a loaded CI machine (what it takes here is measured by `pnpm bench`).
 */
export const SETTLE_MARGIN_MS = 250;

/** A call's outcome, and whether it has settled yet (without waiting for it). */
export interface Watched<T> {
  readonly settled: boolean;
  /** When it settled (`performance.now()`); undefined while pending. */
  readonly settledAt: number | undefined;
  /** The rejection, once settled; throws when the call succeeded. */
  failure(): Promise<unknown>;
  value(): Promise<T>;
}

export function watch<T>(call: Promise<T>): Watched<T> {
  let settledAt: number | undefined;
  const outcome = call.then(
    (value) => {
      settledAt = performance.now();
      return { ok: true as const, value };
    },
    (error: unknown) => {
      settledAt = performance.now();
      return { ok: false as const, error };
    },
  );
  return {
    get settled() {
      return settledAt !== undefined;
    },
    get settledAt() {
      return settledAt;
    },
    async failure() {
      const result = await outcome;
      if (result.ok) throw new Error("the call succeeded");
      return result.error;
    },
    async value() {
      const result = await outcome;
      if (!result.ok) throw result.error;
      return result.value;
    },
  };
}

const relays: BodyRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

/** A byte-watching relay in front of `origin`, closed after the test. */
export async function relayTo(origin: string): Promise<BodyRelay> {
  const relay = await firstByteRelay(origin);
  relays.push(relay);
  return relay;
}

/**
 * What a caller can compare of two errors: class, name, status and service code; the message
 * too when no server answered (a server's message carries its request id and time).
 */
export function shapeOf(error: unknown): Record<string, unknown> {
  const e = error as {
    constructor?: { name?: string };
    name?: unknown;
    message?: unknown;
    code?: unknown;
    Code?: unknown;
    statusCode?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = e.statusCode ?? e.$metadata?.httpStatusCode;
  return {
    type: e.constructor?.name ?? typeof error,
    name: e.name,
    code: e.code ?? e.Code,
    status,
    ...(status === undefined ? { message: e.message } : {}),
  };
}

/**
 * Aborts `controller` and waits for `call` to settle: its failure and how many ms after the
 * abort it settled.
 */
export async function abortAndSettle(
  controller: AbortController,
  call: Watched<unknown>,
): Promise<{ error: unknown; settleMs: number }> {
  const abortedAt = performance.now();
  controller.abort();
  const error = await call.failure();
  return { error, settleMs: (call.settledAt as number) - abortedAt };
}

export type Side = "bare" | "wrapped";
export const SIDES: readonly Side[] = ["bare", "wrapped"];

/** Sends one streamed upload from `side`'s client; the provider's suite says how. */
export type StreamUpload = (
  side: Side,
  key: string,
  gate: GatedStream,
  signal: AbortSignal,
) => Promise<unknown>;

/**
 * Each side uploads a stream that gives 1 KiB and then stalls; the call is aborted once the
 * server has that first KiB. Checks that each side settled within the margin without the
 * stream going on, and returns the errors, bare first.
 */
export async function abortWhileStalled(
  relay: BodyRelay,
  upload: StreamUpload,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const side of SIDES) {
    const gate = gatedStream(64, KIB, { open: 1 });
    const controller = new AbortController();
    const started = relay.bodiesStarted;
    const call = watch(upload(side, `stalled-${side}`, gate, controller.signal));
    // The server has the first KiB: the body is being streamed, and then nothing comes.
    await until(() => relay.bodiesStarted > started, `${side}: the first body byte`);
    expect(gate.produced).toBe(1);
    const { error, settleMs } = await abortAndSettle(controller, call);
    expect(settleMs, `${side}: ms from abort to settled`).toBeLessThan(SETTLE_MARGIN_MS);
    errors.push(error);
    // Settled on the abort alone: the stream was never let go on.
    expect(gate.produced).toBe(1);
  }
  return errors;
}

/**
 * Each side uploads a slow stream, one chunk per step on the test's timeline, aborted after
 * the transport has taken 4 chunks. Checks that each side settled within the margin before
 * the stream's next chunk, and returns the errors, bare first.
 */
export async function abortDuringSlowStream(
  relay: BodyRelay,
  upload: StreamUpload,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const side of SIDES) {
    const gate = gatedStream(32, 16 * KIB);
    const controller = new AbortController();
    const started = relay.bodiesStarted;
    const call = watch(upload(side, `slow-${side}`, gate, controller.signal));
    for (let step = 1; step <= 4; step++) {
      gate.release();
      await until(() => gate.produced === step, `${side}: chunk ${step} taken`);
    }
    await until(() => relay.bodiesStarted > started, `${side}: the first body byte`);
    const { error, settleMs } = await abortAndSettle(controller, call);
    expect(settleMs, `${side}: ms from abort to settled`).toBeLessThan(SETTLE_MARGIN_MS);
    errors.push(error);
    expect(gate.produced).toBe(4);
  }
  return errors;
}
