import { systemClock } from "./clock.js";
import { classifyClockVerdict, isPresignedExpiry } from "./constants.js";
import { decide } from "./decide.js";
import { diagnose } from "./diagnose.js";
import { createEventSink, type EventSink, type Logger } from "./emitter.js";
import type { SkewguardEvent } from "./events.js";
import { SkewguardError } from "./errors.js";
import { readEvidence } from "./evidence.js";
import { getDefaultOffsetStore, type OffsetStore } from "./offset-store.js";
import { type ProbeOptions, probeServerClock } from "./probe.js";
import type {
  Clock,
  Decision,
  Diagnosis,
  ErrorFacts,
  EvidenceItem,
  Observation,
  OffsetEstimate,
  Provider,
  SampleOutcome,
  TimeEvidence,
} from "./types.js";

/** Options every provider package accepts. All optional; defaults in `RECOVERY_DEFAULTS`. */
export interface RecoveryOptions {
  /** Called with every event, after redaction. Exceptions it throws are swallowed. */
  onEvent?: (event: SkewguardEvent) => void;
  /** A pino-style logger (`logger.warn(obj, msg)`); events arrive redacted. */
  logger?: Logger;
  /**
   * The local clock.
   * @default the system clock
   */
  clock?: Clock;
  /**
   * Where learned offsets live.
   * @default the process-wide store shared by every client and provider
   */
  offsets?: OffsetStore;
  /**
   * How many bytes of a streamed request body are buffered so the request can be re-signed
   * and sent again. A larger body is sent once; a clock failure then yields `recovery.skipped`.
   * @default 8 MiB
   */
  replayBufferBytes?: number;
  /**
   * A "possible" clock failure (SignatureDoesNotMatch, a bare 403) is re-signed when the
   * signing time was at least this far off the server's clock.
   * @default 60_000 (see `decide`)
   */
  possibleSkewThresholdMs?: number;
  /**
   * Successes within this long of an endpoint's last accepted sample are not parsed: a busy
   * client learns nothing new from them. Failures are always read. 0 samples every response.
   * @default 1_000
   */
  successSampleIntervalMs?: number;
  /**
   * Below this, a learned offset is not reported as `skew.detected`.
   * @default 1_000
   */
  reportSkewMs?: number;
}

export const RECOVERY_DEFAULTS = {
  replayBufferBytes: 8 * 1024 * 1024,
  possibleSkewThresholdMs: 60_000,
  reportSkewMs: 1_000,
  successSampleIntervalMs: 1_000,
} as const;

/** What an adapter learns from one attempt. */
export interface AttemptResult {
  decision: Decision;
  facts: ErrorFacts;
  estimate?: OffsetEstimate;
  diagnosis?: Diagnosis;
}

/** What the adapter can still do about a failed attempt. */
export interface AttemptContext {
  /** The request body can be sent again. */
  replayable: boolean;
  /** False when the user asked for a single attempt. */
  resendAllowed: boolean;
}

const SUCCEEDED: Decision = Object.freeze({ action: "return", verdict: "none", why: "succeeded" });

const UNTRUSTED: ReadonlySet<SampleOutcome> = new Set([
  "untrusted-disagreeing",
  "untrusted-implausible",
]);

/**
 * The engine behind every adapter: observations in, decisions and events out. Adapters call
 * `offsetMs(host)` before signing, `observe(...)` after each attempt, `recovered(...)` when a
 * corrective resend succeeded.
 */
export class SkewRecovery {
  readonly provider: Provider;
  readonly clock: Clock;
  readonly offsets: OffsetStore;
  readonly replayBufferBytes: number;
  readonly #possibleSkewThresholdMs: number;
  readonly #reportSkewMs: number;
  readonly #successSampleIntervalMs: number;
  readonly #sink: EventSink;

  constructor(provider: Provider, options: RecoveryOptions = {}) {
    this.provider = provider;
    this.clock = options.clock ?? systemClock;
    this.offsets = options.offsets ?? getDefaultOffsetStore();
    this.replayBufferBytes = nonNegative(
      "replayBufferBytes",
      options.replayBufferBytes ?? RECOVERY_DEFAULTS.replayBufferBytes,
    );
    this.#possibleSkewThresholdMs = nonNegative(
      "possibleSkewThresholdMs",
      options.possibleSkewThresholdMs ?? RECOVERY_DEFAULTS.possibleSkewThresholdMs,
    );
    this.#successSampleIntervalMs = nonNegative(
      "successSampleIntervalMs",
      options.successSampleIntervalMs ?? RECOVERY_DEFAULTS.successSampleIntervalMs,
    );
    this.#reportSkewMs = nonNegative(
      "reportSkewMs",
      options.reportSkewMs ?? RECOVERY_DEFAULTS.reportSkewMs,
    );
    if (typeof this.clock?.now !== "function") {
      throw new SkewguardError("SKEWGUARD_INVALID_OPTION", "clock must have a now() method");
    }
    this.#sink = createEventSink({
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** The offset to sign with for `host` now (0 until something was learned). */
  offsetMs(host: string): number {
    return this.offsets.offsetMs(host);
  }

  /** The server's clock for `host`, as far as it is known. */
  serverNow(host: string): number {
    return this.clock.now() + this.offsetMs(host);
  }

  readonly #probes = new Map<string, Promise<OffsetEstimate | undefined>>();

  /**
   * The endpoint's estimate, probing it once (see `probeServerClock`) when nothing is known.
   * Concurrent callers for one host share the probe. Never throws.
   */
  async probe(
    url: string,
    host: string,
    options?: ProbeOptions,
  ): Promise<OffsetEstimate | undefined> {
    const known = this.offsets.get(host);
    if (known) return known;
    let pending = this.#probes.get(host);
    if (!pending) {
      pending = probeServerClock(this, url, host, options).finally(() => this.#probes.delete(host));
      this.#probes.set(host, pending);
    }
    await pending;
    return this.offsets.get(host);
  }

  /**
   * Learns the server's clock from a response and decides nothing: for probes and for
   * responses outside a request the adapter can resend. Never throws.
   */
  sample(obs: Observation): OffsetEstimate | undefined {
    const fresh = this.#freshEstimate(obs);
    if (fresh) return fresh;
    const { time, cached } = readEvidence(obs);
    return this.#learn(obs, time, cached, false).estimate;
  }

  /**
   * A success arriving within `successSampleIntervalMs` of the endpoint's last accepted sample
   * adds little and costs a parse on every request of a busy client: it is skipped. Failures
   * are always read.
   */
  #freshEstimate(obs: Observation): OffsetEstimate | undefined {
    if (obs.status >= 400 || obs.status === 0) return undefined;
    return this.#recentEstimate(obs.host);
  }

  /**
   * Whether a success from `host` would be read now: adapters ask before building an
   * observation, so the common path of a busy client costs one map lookup.
   */
  wantsSuccessSample(host: string): boolean {
    return this.#recentEstimate(host) === undefined;
  }

  #recentEstimate(host: string): OffsetEstimate | undefined {
    if (this.#successSampleIntervalMs === 0) return undefined;
    const estimate = this.offsets.peek(host);
    if (!estimate) return undefined;
    const age = this.clock.now() - estimate.updatedAt;
    return age >= 0 && age < this.#successSampleIntervalMs ? estimate : undefined;
  }

  /** Learns from one attempt and decides what to do about it. Never throws. */
  observe(obs: Observation, ctx: AttemptContext): AttemptResult {
    const fresh = this.#freshEstimate(obs);
    if (fresh) return { decision: SUCCEEDED, facts: {}, estimate: fresh };
    const { facts, time, cached } = readEvidence(obs);
    const failed = obs.status >= 400 || obs.status === 0;
    const verdict = failed ? classifyClockVerdict(obs.status, facts) : "none";
    // A server that refused the signature while its clock disagrees with what we learned is
    // corroboration enough for a step (suspend/resume, an NTP step on either side): waiting
    // for a second sample would fail this request for nothing. Wild values are still refused
    // by the estimator's plausibility check, which comes first.
    const { outcome, estimate } = this.#learn(obs, time, cached, verdict !== "none");
    if (!failed) {
      return this.#result({ action: "return", verdict: "none", why: "succeeded" }, facts, estimate);
    }
    const presignedExpiry = obs.presigned === true || isPresignedExpiry(facts);
    const decision = decide(
      {
        status: obs.status,
        verdict,
        presignedExpiry,
        usedOffsetMs: obs.signed?.offsetMs ?? 0,
        ...(estimate ? { estimate } : {}),
        estimateTrusted: !UNTRUSTED.has(outcome),
        alreadyResent: obs.resent === true,
        replayable: ctx.replayable,
        resendAllowed: ctx.resendAllowed,
      },
      { possibleSkewThresholdMs: this.#possibleSkewThresholdMs },
    );
    if (decision.action === "resend") {
      this.#emit(obs, estimate, {
        type: "request.resigned",
        skewMs: decision.skewMs ?? 0,
        why: decision.why,
      });
      return this.#result(decision, facts, estimate);
    }
    const diagnosis = this.#diagnoseIfSignatureFailure(obs, facts, estimate, verdict !== "none");
    if (decision.skipReason) {
      this.#emit(obs, estimate, {
        type: "recovery.skipped",
        reason: decision.skipReason,
        why: decision.why,
      });
    }
    return this.#result(decision, facts, estimate, diagnosis);
  }

  /** A corrective resend succeeded: report the recovery and what it cost. */
  recovered(obs: Observation, attempts: number, firstSentAt: number): void {
    this.#emit(obs, this.offsets.get(obs.host), {
      type: "request.recovered",
      attempts,
      extraLatencyMs: Math.max(0, obs.sentAt - firstSentAt),
    });
  }

  /** Diagnoses a failure the adapter saw outside a request (a presigned URL, a token grant). */
  diagnose(obs: Observation): Diagnosis {
    const { facts, time, cached } = readEvidence(obs);
    // The failed response's own clock readings sharpen the diagnosis (a token endpoint's Date).
    const estimate = this.#learn(obs, time, cached, false).estimate;
    const diagnosis = diagnose({
      observation: obs,
      facts,
      ...(estimate ? { estimate } : {}),
      resentOnCorrectedClock: obs.resent === true,
      clockThresholdMs: this.#possibleSkewThresholdMs,
    });
    this.#emit(obs, estimate, { type: "signature.diagnosed", diagnosis }, facts);
    return diagnosis;
  }

  #learn(
    obs: Observation,
    evidence: TimeEvidence[],
    cached: boolean,
    corroborated: boolean,
  ): { outcome: SampleOutcome; estimate?: OffsetEstimate } {
    const sample = { sentAt: obs.sentAt, receivedAt: obs.receivedAt, evidence, cached };
    const { outcome, estimate, previous } = this.offsets.observe(obs.host, sample, corroborated);
    this.#reportDetection(obs, outcome, estimate, previous);
    return { outcome, ...(estimate ? { estimate } : {}) };
  }

  #diagnoseIfSignatureFailure(
    obs: Observation,
    facts: ErrorFacts,
    estimate: OffsetEstimate | undefined,
    signatureRelated: boolean,
  ): Diagnosis | undefined {
    // A 404 or a policy denial is not a signature failure: nothing to diagnose, no noise.
    if (!signatureRelated) return undefined;
    const diagnosis = diagnose({
      observation: obs,
      facts,
      ...(estimate ? { estimate } : {}),
      resentOnCorrectedClock: obs.resent === true,
      clockThresholdMs: this.#possibleSkewThresholdMs,
    });
    this.#emit(obs, estimate, { type: "signature.diagnosed", diagnosis }, facts);
    return diagnosis;
  }

  #reportDetection(
    obs: Observation,
    outcome: SampleOutcome,
    estimate: OffsetEstimate | undefined,
    previous: OffsetEstimate | undefined,
  ): void {
    if (!estimate || (outcome !== "accepted" && outcome !== "step-accepted")) return;
    const moved =
      !previous || estimate.offsetMs < previous.lowMs || estimate.offsetMs > previous.highMs;
    if (!moved) return;
    const before = previous?.offsetMs ?? 0;
    if (Math.abs(estimate.offsetMs - before) < this.#reportSkewMs) return;
    this.#emit(obs, estimate, {
      type: "skew.detected",
      skewMs: estimate.offsetMs - (obs.signed?.offsetMs ?? before),
      sampleOutcome: outcome,
    });
    this.#emit(obs, estimate, { type: "skew.corrected", previousOffsetMs: before });
  }

  #emit(
    obs: Observation,
    estimate: OffsetEstimate | undefined,
    specific: DistributiveOmit<SkewguardEvent, CommonKeys>,
    facts?: ErrorFacts,
  ): void {
    const evidence: EvidenceItem[] = [];
    if (facts?.code) evidence.push({ name: "code", value: facts.code });
    const requestId = facts?.requestId ?? requestIdFrom(obs);
    const event = {
      time: new Date(this.clock.now()).toISOString(),
      provider: obs.provider,
      host: obs.host,
      ...(obs.operation ? { operation: obs.operation } : {}),
      ...(requestId ? { requestId } : {}),
      ...(estimate
        ? {
            // Whole milliseconds: the estimate's sub-millisecond digits are noise in a log.
            offsetMs: Math.round(estimate.offsetMs),
            offsetBoundsMs: [Math.floor(estimate.lowMs), Math.ceil(estimate.highMs)] as [
              number,
              number,
            ],
          }
        : {}),
      ...(evidence.length > 0 ? { evidence } : {}),
      ...specific,
    } as SkewguardEvent;
    this.#sink.emit(event);
  }

  #result(
    decision: Decision,
    facts: ErrorFacts,
    estimate: OffsetEstimate | undefined,
    diagnosis?: Diagnosis,
  ): AttemptResult {
    return {
      decision,
      facts,
      ...(estimate ? { estimate } : {}),
      ...(diagnosis ? { diagnosis } : {}),
    };
  }
}

type CommonKeys =
  | "time"
  | "provider"
  | "host"
  | "operation"
  | "requestId"
  | "offsetMs"
  | "offsetBoundsMs"
  | "evidence";
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const REQUEST_ID_HEADERS = [
  "x-amz-request-id",
  "x-ms-request-id",
  "x-goog-request-id",
  "x-guploader-uploadid",
];

function requestIdFrom(obs: Observation): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = obs.headers[name];
    if (value) return value;
  }
  return undefined;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_OPTION",
      `${name} must be a finite number >= 0, got ${String(value)}`,
    );
  }
  return value;
}
