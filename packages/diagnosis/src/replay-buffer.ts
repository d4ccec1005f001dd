import type { Readable } from "node:stream";
import { SkewguardError } from "./errors.js";
import { nodeBuiltin } from "./node-builtin.js";
import type { ReplayBudget } from "./replay-budget.js";

/**
 * Keeping a streamed request body so it can be sent again, shared by the adapters. The first
 * attempt streams the body to the server as it is read (nothing is read ahead), and the chunks
 * the stream produced are kept, as they are (references, never copies), up to a cap. A resend
 * replays them, then whatever the stream still has to give. A body that outgrows the cap, or
 * the memory budget the copies of concurrent requests share, drops its copy at once and goes
 * out once.
 *
 * Works on Node streams (the body types of the Node SDKs), through their `data` events: that is
 * how a transport's `pipe` reads, one chunk at a time as the stream produced it (a stream's async
 * iterator merges what it buffered into new memory). `node:stream` is loaded at run time, never
 * imported at the top: the core must load in a browser, where bodies are never Node streams.
 */
export interface ReplayableStream {
  /**
   * The body for the next attempt, a Node `Readable`. The first one passes the source through
   * as it is read, keeping its chunks; each later one gives the kept chunks, then the rest of
   * the source. Throws `SKEWGUARD_BODY_NOT_REPLAYABLE` for a second body when `replayable` is
   * false.
   */
  next(): Readable;
  /**
   * Whether another attempt can send the same bytes: the source has not failed, the copy has
   * held everything it gave (within the cap and the budget), and it was not released. Known for sure only once the
   * source ended; before that, true means "nothing seen so far rules it out" (the rest will be
   * streamed from the source, and the copy kept only up to the cap).
   */
  readonly replayable: boolean;
  /** Bytes of the source held for a replay (0 once the copy is dropped or released). */
  readonly heldBytes: number;
  /** Whether the source has ended (everything it will ever give has been seen). */
  readonly ended: boolean;
  /**
   * Drops the copy: call it as soon as the request is settled. A source the transport has
   * given up on (it destroyed the last attempt's body before the source ended) is destroyed, as
   * the transport would have destroyed it without skewguard in between; otherwise it is left as
   * the transport left it.
   */
  release(): void;
}

/** Where the copy's memory comes from, and how much of it a body expects to need. */
export interface TeeOptions {
  /**
   * The memory shared by the copies of every request in flight (the engine's): the copy takes
   * from it as it grows and gives back when dropped or released. A body that finds it spent
   * drops its copy and goes out once. Unlimited when absent.
   */
  budget?: ReplayBudget;
  /**
   * The body's declared length, when known: taken from the budget in one piece at the first
   * chunk, so that concurrent bodies do not each keep part of a copy and all end unreplayable;
   * a body that finds no room for it is sent once from the start.
   */
  expectedBytes?: number;
}

/**
 * Tees `source` for replay, keeping at most `capBytes` of it (and only what `options.budget`
 * has room for). The source is not touched until the first attempt's body is read, and nothing
 * is taken from the budget until the first chunk: a body the server refused before reading it
 * (`Expect: 100-continue`) is replayed from the source itself, at no memory cost.
 */
export function teeForReplay(
  source: Readable,
  capBytes: number,
  options: TeeOptions = {},
): ReplayableStream {
  const { Readable: ReadableClass } = nodeStream();
  const { budget, expectedBytes } = options;
  let copy: Uint8Array[] | undefined = [];
  let copyBytes = 0;
  /** Bytes taken from the budget for this copy (at least `copyBytes` while there is a copy). */
  let taken = 0;
  let ended = false;
  /** The source failed (an error, or closed before its end): no attempt can send it whole. */
  let failed = false;
  let failure: Error | undefined;
  let released = false;
  let handedOut = 0;
  let listening = false;
  /** The current attempt's body, how many kept chunks it has been given, whether the source feeds it. */
  let out: Readable | undefined;
  let given = 0;
  let live = false;

  const drop = () => {
    copy = undefined;
    copyBytes = 0;
    budget?.give(taken);
    taken = 0;
  };

  /** Makes room in the copy for `bytes` more: within the cap, and taken from the budget. */
  const roomFor = (bytes: number): boolean => {
    const needed = copyBytes + bytes;
    if (needed > capBytes) return false;
    if (!budget) return true;
    if (taken === 0 && expectedBytes !== undefined) {
      const reserve = Math.min(Math.max(expectedBytes, needed), capBytes);
      if (!budget.take(reserve)) return false;
      taken = reserve;
    }
    if (needed <= taken) return true;
    if (!budget.take(needed - taken)) return false;
    taken = needed;
    return true;
  };

  const onData = (chunk: unknown) => {
    let bytes: Uint8Array;
    try {
      bytes = toBytes(chunk);
    } catch (error) {
      fail(error as Error);
      return;
    }
    if (copy) {
      if (!roomFor(bytes.byteLength)) drop();
      else {
        copy.push(bytes);
        copyBytes += bytes.byteLength;
      }
    }
    if (!live || !out) {
      // Only a paused source's last chunk can land here, and only while the copy holds it: it
      // is given in turn with the kept chunks. Without a copy it would be lost: fail loudly.
      source.pause();
      if (!copy) fail(new Error("a request body chunk arrived while no attempt was reading"));
      return;
    }
    if (copy) given = copy.length;
    if (!out.push(bytes)) {
      live = false;
      source.pause();
    }
  };
  const onEnd = () => {
    ended = true;
    detach();
    if (live && out) out.push(null);
  };
  const onError = (error: Error) => fail(error);
  // Closed before its end without an error (destroyed by its owner): the body closes the same
  // way, so the transport meets what it would have met reading the source itself.
  const onClose = () => {
    if (!ended) fail(undefined);
  };

  function fail(error: Error | undefined): void {
    if (failed) return;
    failed = true;
    failure = error;
    drop();
    detach();
    const current = out;
    live = false;
    if (current && !current.destroyed) current.destroy(error);
  }

  function attach(): void {
    if (listening || ended || failed) return;
    listening = true;
    source.on("data", onData);
    source.on("end", onEnd);
    source.on("error", onError);
    source.on("close", onClose);
    // `on("data")` starts the flow: hold it until an attempt reads.
    source.pause();
  }

  function detach(): void {
    if (!listening) return;
    listening = false;
    source.off("data", onData);
    source.off("end", onEnd);
    source.off("error", onError);
    source.off("close", onClose);
  }

  function bodyForAttempt(): Readable {
    const body: Readable = new ReadableClass({
      read() {
        if (body !== out) return;
        const kept = copy;
        while (kept && given < kept.length) {
          const chunk = kept[given++] as Uint8Array;
          if (!body.push(chunk)) return;
        }
        if (failed) {
          body.destroy(failure);
          return;
        }
        if (ended) {
          body.push(null);
          return;
        }
        live = true;
        attach();
        source.resume();
      },
      destroy(error, callback) {
        if (body === out) {
          live = false;
          if (!ended && !failed) source.pause();
          if (released) abandonSource();
        }
        callback(error);
      },
    });
    return body;
  }

  /** The transport destroyed the body it was given and nobody will read the source again. */
  function abandonSource(): void {
    if (ended || failed) return;
    detach();
    if (!source.destroyed) source.destroy();
  }

  return {
    next() {
      if (handedOut > 0 && !this.replayable) {
        throw new SkewguardError(
          "SKEWGUARD_BODY_NOT_REPLAYABLE",
          "a request body that cannot be replayed was requested for a second send",
        );
      }
      handedOut++;
      const previous = out;
      live = false;
      if (!ended && !failed && listening) source.pause();
      given = 0;
      out = bodyForAttempt();
      // The previous attempt is over: what it buffered is in the copy.
      if (previous && !previous.destroyed) previous.destroy();
      return out;
    },
    get replayable() {
      return copy !== undefined && !failed && !released;
    },
    get heldBytes() {
      return copyBytes;
    },
    get ended() {
      return ended;
    },
    release() {
      if (released) return;
      released = true;
      drop();
      if (out?.destroyed) abandonSource();
    },
  };
}

/**
 * `node:stream`, taken at run time rather than imported, so that the core still loads in a
 * browser bundle (where nothing calls this: bodies there are never Node streams).
 */
function nodeStream(): typeof import("node:stream") {
  const stream = nodeBuiltin<typeof import("node:stream")>("node:stream");
  if (!stream) throw new TypeError("replaying a Node stream body needs node:stream");
  return stream;
}

const encoder = new TextEncoder();

/** Node Buffers are Uint8Arrays and pass as they are; strings are UTF-8 encoded. */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`a request body chunk must be bytes or a string, got ${typeof value}`);
}
