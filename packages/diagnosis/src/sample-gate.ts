import type { SkewRecovery } from "./recovery.js";

/**
 * Decides before a request is sent whether its answer is read for the server's clock, for an
 * adapter that watches traffic it does not run (GCS's JSON API). Between readings it answers
 * from the window the engine gave last (no answer wanted before its end), with one clock read
 * and no lookup: on a busy client's happy path the lookups themselves cost a share `pnpm bench`
 * can see (about 1 % of a GCS download). The window belongs to one gate, so a reading held for
 * corroboration, or an endpoint the gate has not met, waits for the end of the window at most:
 * one `successSampleIntervalMs`. A clock that steps back leaves the window at once.
 */
export class SampleGate {
  readonly #recovery: SkewRecovery;
  /** Local times between which no answer is wanted. */
  #quietFrom = 0;
  #quietUntil = 0;

  constructor(recovery: SkewRecovery) {
    this.#recovery = recovery;
  }

  /** True when a request sent at `now` is not watched, decided without a host. */
  quiet(now: number): boolean {
    return now >= this.#quietFrom && now < this.#quietUntil;
  }

  /** Whether the answer from `host` to a request sent at `now` is read; opens the next window. */
  wants(host: string, now: number): boolean {
    const wantedFrom = this.#recovery.sampleWantedFrom(host, now);
    if (wantedFrom <= now) return true;
    this.#quietFrom = now;
    this.#quietUntil = wantedFrom;
    return false;
  }
}
