import type { PipelineRequest } from "@azure/core-rest-pipeline";

/** What the signing policy used for the latest signature of one request. */
export interface SigningRecord {
  /** The offset applied to the local clock, ms (server minus local). */
  offsetMs: number;
  /** The instant written into `x-ms-date`, ms since the epoch (before truncation to seconds). */
  signedAtMs: number;
  stringToSign: string;
  accountName: string;
}

/**
 * How the recovery policy (Retry phase) and the signing policy (Sign phase) of one pipeline talk
 * about a request: the recovery policy plans the offset of a corrective resend, the signer
 * records what it signed so a failure can be compared with it. Keyed by the request object,
 * which every policy passes on as it is, so concurrent requests never see each other's state.
 */
export class SigningLedger {
  readonly #records = new WeakMap<PipelineRequest, SigningRecord>();
  readonly #plans = new WeakMap<PipelineRequest, number>();

  record(request: PipelineRequest, record: SigningRecord): void {
    this.#records.set(request, record);
  }

  lastSigned(request: PipelineRequest): SigningRecord | undefined {
    return this.#records.get(request);
  }

  /** The next signature of this request uses this offset, whatever the store says by then. */
  plan(request: PipelineRequest, offsetMs: number): void {
    this.#plans.set(request, offsetMs);
  }

  plannedOffset(request: PipelineRequest): number | undefined {
    return this.#plans.get(request);
  }
}
