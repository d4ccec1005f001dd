/**
 * Room on top of `replayBufferBytes` for the framing a transport wraps around the user's bytes
 * before skewguard sees them (S3's aws-chunked: a size line per chunk, a checksum trailer), so
 * that a body of exactly `replayBufferBytes` still fits.
 */
export const FRAMING_ALLOWANCE_BYTES = 64 * 1024;

/**
 * The memory that copies of stream bodies, kept for a possible resend, may hold at once: one per
 * engine (one client), shared by all its requests in flight. Without it, every concurrent upload
 * would keep its own copy until its response, and memory would grow with concurrency; with it, a
 * body that finds the budget spent is sent once, as the bare SDK sends it (a clock failure of
 * that request is then `recovery.skipped` with `body-not-replayable`, never a worse outcome).
 * Pure bookkeeping: it counts bytes, it holds none.
 */
export class ReplayBudget {
  /** The most bytes all copies may hold together. */
  readonly capacityBytes: number;
  #heldBytes = 0;

  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  /** Bytes the copies hold now. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Takes `bytes` if they fit in what is left; false (and nothing taken) otherwise. */
  take(bytes: number): boolean {
    if (bytes < 0 || this.#heldBytes + bytes > this.capacityBytes) return false;
    this.#heldBytes += bytes;
    return true;
  }

  /** Gives back bytes taken earlier (a copy released or dropped). */
  give(bytes: number): void {
    this.#heldBytes = Math.max(0, this.#heldBytes - bytes);
  }
}
