import type {
  AttemptPlan,
  AttemptReport,
  RecoveryOutcome,
  RecoveryRequest,
  SendAttempt,
} from "./attempt.js";
import { systemClock } from "./clock.js";
import type { HeldReading } from "./decide.js";
import type { SigningVerdict } from "./estimator.js";
import { attachDiagnosis } from "./diagnosis-of.js";
import { createEventSink, type EventSink, type Logger } from "./emitter.js";
import { SkewguardError } from "./errors.js";
import type { SkewguardEvent } from "./events.js";
import { headerTime, isCached } from "./header-evidence.js";
import { REQUEST_ID_HEADERS, toHeaderMap } from "./headers.js";
import { getDefaultOffsetStore, type OffsetStore } from "./offset-store.js";
import { probeServerClock } from "./probe.js";
import { FRAMING_ALLOWANCE_BYTES, ReplayBudget } from "./replay-budget.js";
import type {
  Clock,
  ClockVerdict,
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
   * How many bytes of streamed request bodies are kept so a request can be re-signed and sent
   * again: the most one body keeps, and the most all the requests in flight through one client
   * keep together (concurrency does not multiply it). The first attempt streams the body as it
   * is read; the copy is dropped once the request settles. A body that does not fit (larger, or
   * while other requests hold the memory) is sent once, as without skewguard; a clock failure
   * of it then yields `recovery.skipped` (`body-not-replayable`).
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
  /**
   * Before signing a URL, SAS or self-signed token for an endpoint whose clock nothing has
   * shown yet, read it from the `Date` of one unauthenticated `HEAD` to the endpoint's root.
   * `false` signs on what is known (the local clock, if nothing).
   * @default true
   */
  probe?: boolean;
  /**
   * How long that probe may take before signing goes ahead on what is known.
   * @default 3_000
   */
  probeTimeoutMs?: number;
}

export const RECOVERY_DEFAULTS = {
  replayBufferBytes: 8 * 1024 * 1024,
  possibleSkewThresholdMs: 60_000,
  reportSkewMs: 1_000,
  successSampleIntervalMs: 1_000,
  probe: true,
  probeTimeoutMs: 3_000,
} as const;

/** What the engine reads and decides a failure with, loaded on the first one. */
type FailurePath = typeof import("./failure-path.js");

let failurePath: Promise<FailurePath> | undefined;

/**
 * The failure path, loaded once per process at the first failed attempt (a page whose requests
 * succeed never fetches it). A load that failed (a chunk a deployment removed, a page gone
 * offline) is tried again at the next failure.
 */
function loadFailurePath(): Promise<FailurePath> {
  failurePath ??= import("./failure-path.js").catch((error: unknown) => {
    failurePath = undefined;
    throw error;
  });
  return failurePath;
}

const UNTRUSTED: ReadonlySet<SampleOutcome> = new Set([
  "untrusted-disagreeing",
  "untrusted-implausible",
]);

/** Where signing time comes from for one endpoint: the URL to probe, its key and stand-ins. */
export interface SigningTarget {
  /** Any URL of the endpoint (its root is probed). */
  url: string;
  /** The store's key, when it is not the URL's own `host[:port]` (an S3 bucket host). */
  host: string;
  aliases?: readonly string[];
  /** Names the probe in events. @default "ClockProbe" */
  operation?: string;
  /** Overrides the engine's `probe` option for this signature. */
  probe?: boolean;
  /** Overrides the engine's `probeTimeoutMs` option for this signature. */
  probeTimeoutMs?: number;
}

/**
 * The engine behind every adapter. An adapter hands `run` one request and a function that
 * sends it once, signed at a given offset; the engine does the rest: the offset to sign with,
 * observing each response, the decision, at most one corrective resend at once, the events,
 * and the diagnosis attached to what the caller receives. `serverOffsetMs` gives the signing
 * clock for what is signed outside a request (URLs, SAS, tokens).
 */
export class SkewRecovery {
  readonly provider: Provider;
  readonly clock: Clock;
  readonly offsets: OffsetStore;
  readonly replayBufferBytes: number;
  /** The memory the copies of this engine's stream bodies share (see `replayBufferBytes`). */
  readonly replayBudget: ReplayBudget;
  readonly #possibleSkewThresholdMs: number;
  readonly #reportSkewMs: number;
  readonly #successSampleIntervalMs: number;
  readonly #probe: boolean;
  readonly #probeTimeoutMs: number;
  readonly #sink: EventSink;

  constructor(provider: Provider, options: RecoveryOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new SkewguardError("SKEWGUARD_INVALID_OPTION", "options must be an object");
    }
    this.provider = provider;
    this.clock = options.clock ?? systemClock;
    if (typeof this.clock?.now !== "function") {
      throw new SkewguardError("SKEWGUARD_INVALID_OPTION", "clock must have a now() method");
    }
    this.offsets = options.offsets ?? getDefaultOffsetStore();
    const d = RECOVERY_DEFAULTS;
    this.replayBufferBytes = nonNegative("replayBufferBytes", options.replayBufferBytes, d);
    this.replayBudget = new ReplayBudget(this.replayBufferBytes + FRAMING_ALLOWANCE_BYTES);
    this.#possibleSkewThresholdMs = nonNegative(
      "possibleSkewThresholdMs",
      options.possibleSkewThresholdMs,
      d,
    );
    this.#successSampleIntervalMs = nonNegative(
      "successSampleIntervalMs",
      options.successSampleIntervalMs,
      d,
    );
    this.#reportSkewMs = nonNegative("reportSkewMs", options.reportSkewMs, d);
    this.#probeTimeoutMs = nonNegative("probeTimeoutMs", options.probeTimeoutMs, d);
    if (options.probe !== undefined && typeof options.probe !== "boolean") {
      throw new SkewguardError("SKEWGUARD_INVALID_OPTION", "probe must be a boolean");
    }
    this.#probe = options.probe ?? d.probe;
    this.#sink = createEventSink({
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /**
   * The offset to sign with for `host` now: its own estimate, else the first alias that has
   * one, else 0 (the local clock).
   */
  signingOffsetMs(host: string, aliases?: readonly string[]): number {
    const own = this.offsets.get(host);
    if (own) return offsetToSignWith(own);
    for (const alias of aliases ?? []) {
      const stand = this.offsets.get(alias);
      if (stand) return offsetToSignWith(stand);
    }
    return 0;
  }

  /**
   * The offset to sign a URL, SAS or token for `target` with, probing the endpoint once when
   * nothing is known of it or its aliases (unless `probe: false`). Throws only for an invalid
   * `probeTimeoutMs`; an unreachable endpoint leaves the offset as it was.
   */
  async serverOffsetMs(target: SigningTarget): Promise<number> {
    const known = () =>
      this.offsets.get(target.host) ??
      target.aliases?.map((alias) => this.offsets.get(alias)).find(Boolean);
    const probe = target.probe ?? this.#probe;
    const timeoutMs =
      target.probeTimeoutMs === undefined
        ? this.#probeTimeoutMs
        : nonNegative("probeTimeoutMs", target.probeTimeoutMs, RECOVERY_DEFAULTS);
    if (probe && !known()) {
      await probeServerClock(this, {
        url: target.url,
        host: target.host,
        operation: target.operation ?? "ClockProbe",
        timeoutMs,
      });
    }
    return this.signingOffsetMs(target.host, target.aliases);
  }

  /**
   * The first attempt's offset: the SDK's own when the estimate cannot tell them apart, or
   * when nothing is known of the endpoint yet and the SDK's offset is within the correction
   * bound (skewguard then has no reason to sign otherwise than the SDK would, and a failure it
   * cannot judge is left to the SDK's own retry). An offset beyond the bound is what one forged
   * `Date` teaches the SDK: the local clock is signed on instead, as the estimator would.
   */
  #firstOffsetMs(request: RecoveryRequest): number {
    const own = request.ownOffsetMs;
    const estimate =
      this.offsets.get(request.host) ??
      request.aliases?.map((alias) => this.offsets.get(alias)).find(Boolean);
    if (own !== undefined) {
      if (estimate && own >= estimate.lowMs && own <= estimate.highMs) return own;
      if (!estimate && Math.abs(own) <= this.offsets.maxCorrectionMs) return own;
    }
    return estimate ? offsetToSignWith(estimate) : 0;
  }

  /** Whether anything is known of the clock of `host` (or of one of its aliases). */
  knows(host: string, aliases?: readonly string[]): boolean {
    return [host, ...(aliases ?? [])].some((key) => this.offsets.get(key) !== undefined);
  }

  /**
   * Runs one request: the first attempt signed on what is known of the endpoint's clock; a
   * failure the clock caused re-signed with the corrected clock and sent again at once (no
   * backoff); a failure it did not cause diagnosed, the diagnosis attached to what the
   * caller receives (`diagnosisOf`). Resolves or rejects with what the last attempt gave,
   * after telling `request.onOutcome` how it ended; it never throws synchronously.
   *
   * While the endpoint has answered with a clock reading beyond the correction bound that
   * nothing confirms, a request with `sdkClock` is signed as the SDK would sign it without
   * skewguard (its own clock), so declining that reading never costs the SDK its own recovery.
   */
  run<T>(request: RecoveryRequest, send: SendAttempt<T>): Promise<T> {
    // Not an `async` method, which would cost every request a promise step; a throw before the
    // send still reaches the caller as a rejection, as from one.
    try {
      return this.#first(request, send);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #first<T>(request: RecoveryRequest, send: SendAttempt<T>): Promise<T> {
    const stepAside = request.sdkClock === true && this.offsets.held(request.host) !== undefined;
    const plan: AttemptPlan = { offsetMs: this.#firstOffsetMs(request), resent: false };
    if (stepAside) plan.sdkClock = true;
    // A success settles in the one promise step of its send: every request pays for the
    // happy path, only a failure for the recovery around it.
    const sentAt = this.clock.now();
    return sendOnce(send, plan).then((report) => {
      const first = this.#read(request, report, plan, sentAt, this.clock.now());
      const observe = first.failure;
      if (!observe) {
        tell(request, SUCCEEDED);
        return settle(first.report);
      }
      return this.#recover(request, send, first, observe, stepAside);
    });
  }

  /** After a failed first attempt: judge it, and resend once when the clock caused it. */
  async #recover<T>(
    request: RecoveryRequest,
    send: SendAttempt<T>,
    first: Attempt<T>,
    observe: (path: FailurePath) => Observation,
    stepAside: boolean,
  ): Promise<T> {
    let failure: FailurePath;
    try {
      failure = await loadFailurePath();
    } catch {
      // Without its failure path the engine cannot judge: it declines, and the SDK's own
      // handling of the failure stands, as without skewguard.
      tell(request, { declined: true, why: UNLOADED, resent: false });
      return settle(first.report);
    }
    if (request.signal?.aborted === true) {
      // Aborted meanwhile: nothing judged and nothing resent, so no event may announce a
      // resend; the outcome goes back as it is, and whatever the SDK does about it stands.
      tell(request, { declined: true, resent: false });
      return settle(first.report);
    }
    const decision = this.#judge(failure, observe(failure), request, stepAside);
    if (decision.offsetMs === undefined) {
      tell(request, outcomeOf(decision, false));
      return settle(first.report, decision.diagnosis);
    }
    first.report.discard?.();
    const second = await this.#attempt(request, send, {
      offsetMs: decision.offsetMs,
      resent: true,
    });
    // skewguard acted: whatever the resend gave, the SDK's own clock handling has no say in it.
    tell(request, { declined: false, resent: true });
    if (!second.failure) {
      if (second.failed === false)
        this.#recovered(request, second.report, first.sentAt, second.sentAt);
      return settle(second.report);
    }
    // The engine sees this was the corrective resend: it diagnoses and never resends again.
    const last = this.#judge(failure, second.failure(failure), request, false);
    return settle(second.report, last.diagnosis);
  }

  /**
   * Sends one attempt. `failure` is set for a failure with a response: it builds the
   * observation to judge once the failure path is loaded. A success is sampled here.
   */
  #attempt<T>(
    request: RecoveryRequest,
    send: SendAttempt<T>,
    plan: AttemptPlan,
  ): Promise<Attempt<T>> {
    const sentAt = this.clock.now();
    return sendOnce(send, plan).then((report) =>
      this.#read(request, report, plan, sentAt, this.clock.now()),
    );
  }

  #read<T>(
    request: RecoveryRequest,
    report: AttemptReport<T>,
    plan: AttemptPlan,
    sentAt: number,
    receivedAt: number,
  ): Attempt<T> {
    const status = report.status;
    if (status === undefined) return { report, sentAt, receivedAt };
    const failed = status >= 400;
    const times = { sentAt, receivedAt };
    if (!failed) {
      if (report.response && this.#recentEstimate(request.host, receivedAt) === undefined) {
        // A success is evidence twice over: its Date, and the server's acceptance of the
        // signing time (which no lying Date can fake, and which confirms a held reading).
        // Only its headers tell time: a success's body is never an error document.
        const obs = this.#observation(request, report, plan, times, undefined);
        const time = headerTime(obs.headers);
        this.#learn(obs, time, isCached(obs.headers), false, signingVerdictOf(obs, "none", false));
      }
      return { report, failed, sentAt, receivedAt };
    }
    const failure = (path: FailurePath) =>
      this.#observation(request, report, plan, times, path.readSdkError);
    return { report, failed, failure, ...times };
  }

  #observation<T>(
    request: RecoveryRequest,
    report: AttemptReport<T>,
    plan: AttemptPlan,
    times: { sentAt: number; receivedAt: number },
    readSdkError: FailurePath["readSdkError"] | undefined,
  ): Observation {
    const response = report.response?.() ?? {};
    const fromError =
      response.error === undefined || readSdkError === undefined
        ? undefined
        : readSdkError(response.error);
    const headers = {
      ...fromError?.headers,
      ...(response.headers === undefined ? {} : toHeaderMap(response.headers)),
    };
    const body = response.body ?? fromError?.body;
    const document = response.document ?? fromError?.document;
    return {
      provider: this.provider,
      host: request.host,
      ...(request.operation ? { operation: request.operation } : {}),
      sentAt: times.sentAt,
      receivedAt: times.receivedAt,
      status: report.status ?? 0,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(document === undefined ? {} : { document }),
      ...(fromError?.fields ? { fields: fromError.fields } : {}),
      signed: {
        signedAtMs: times.sentAt + (report.signedOffsetMs ?? plan.offsetMs),
        ...response.signed,
        offsetMs: report.signedOffsetMs ?? plan.offsetMs,
      },
      resent: plan.resent,
      ...(request.presigned ? { presigned: true } : {}),
      ...(request.tokenGrant ? { tokenGrant: true } : {}),
    };
  }

  /**
   * Learns from a failed attempt and decides: the offset to resend with, or the diagnosis to
   * hand back. Emits `request.resigned`, `recovery.skipped` and `signature.diagnosed`.
   */
  #judge(
    failure: FailurePath,
    obs: Observation,
    request: RecoveryRequest,
    signedBySdk: boolean,
  ): Decision & { diagnosis?: Diagnosis } {
    const { classifyClockVerdict, isPresignedExpiry, decide } = failure;
    const { facts, time, cached } = failure.readEvidence(obs);
    const verdict = classifyClockVerdict(obs.status, facts);
    const presignedExpiry = obs.presigned === true || isPresignedExpiry(facts);
    // A server that refused the signature while its clock disagrees with what we learned is
    // corroboration enough for a step (suspend/resume, an NTP step on either side): waiting
    // for a second sample would fail this request for nothing. Readings beyond the correction
    // bound are held instead, whatever the server says (see the estimator).
    const learned = this.#learn(
      obs,
      time,
      cached,
      verdict !== "none",
      signingVerdictOf(obs, verdict, presignedExpiry),
    );
    const { outcome, estimate } = learned;
    const replayable =
      typeof request.replayable === "function"
        ? request.replayable()
        : (request.replayable ?? true);
    const held = this.#heldFor(obs.host, outcome);
    const decision = decide(
      {
        status: obs.status,
        verdict,
        presignedExpiry,
        usedOffsetMs: obs.signed?.offsetMs ?? 0,
        ...(estimate ? { estimate } : {}),
        estimateTrusted: !UNTRUSTED.has(outcome),
        alreadyResent: obs.resent === true,
        replayable,
        resendAllowed: request.resendAllowed ?? true,
        heldMs: obs.receivedAt - obs.sentAt,
        ...(held ? { held } : {}),
        ...(learned.refuted ? { refuted: true } : {}),
        ...(request.sdkClock ? { sdkClock: true } : {}),
        ...(signedBySdk ? { signedBySdk: true } : {}),
        maxCorrectionMs: this.offsets.maxCorrectionMs,
      },
      { possibleSkewThresholdMs: this.#possibleSkewThresholdMs },
    );
    if (decision.action === "resend" && decision.offsetMs !== undefined) {
      this.#emit(obs, estimate, {
        type: "request.resigned",
        skewMs: decision.skewMs ?? 0,
        why: decision.why,
      });
      return decision;
    }
    // A 404 or a policy denial is not a signature failure: nothing to diagnose, no noise.
    const diagnosis =
      verdict === "none"
        ? undefined
        : this.#diagnoseAndEmit(failure, obs, facts, estimate, decision);
    if (decision.skipReason) {
      this.#emit(obs, estimate, {
        type: "recovery.skipped",
        reason: decision.skipReason,
        why: decision.why,
      });
    }
    return diagnosis ? { ...decision, diagnosis } : decision;
  }

  /**
   * The held reading a failure's clock question rests on: the one its answer gave or agreed
   * with, or, when its answer had no reading, the one held from before.
   */
  #heldFor(host: string, outcome: SampleOutcome): HeldReading | undefined {
    if (outcome !== "untrusted-implausible" && !outcome.startsWith("ignored")) return undefined;
    const held = this.offsets.held(host);
    if (!held) return undefined;
    const { offsetMs, lowMs, highMs, agreeing, triedAt } = held;
    // A reading whose trial was refused for its signature is tried again only after a while:
    // a wrong key refuses every trial, and one more request a minute is its whole cost.
    const tried = triedAt !== undefined && this.clock.now() - triedAt < HELD_RETRIAL_AFTER_MS;
    return { offsetMs, lowMs, highMs, agreeing, ...(tried ? { tried } : {}) };
  }

  #recovered<T>(
    request: RecoveryRequest,
    report: AttemptReport<T>,
    firstSentAt: number,
    resendSentAt: number,
  ): void {
    // Read for the request id only: the success itself was sampled (or not) already.
    const headers = report.response?.().headers;
    const obs: Pick<Observation, "provider" | "host" | "operation" | "headers"> = {
      provider: this.provider,
      host: request.host,
      ...(request.operation ? { operation: request.operation } : {}),
      headers: headers === undefined ? {} : toHeaderMap(headers),
    };
    this.#emit(obs, this.offsets.get(request.host), {
      type: "request.recovered",
      attempts: 2,
      extraLatencyMs: Math.max(0, resendSentAt - firstSentAt),
    });
  }

  /**
   * Learns the server's clock from a response's headers (`Date`, `Age`) and decides nothing:
   * for probes and for responses outside a request the adapter runs (token-endpoint and API
   * traffic it only watches). Never throws.
   */
  sample(obs: Observation): OffsetEstimate | undefined {
    const fresh = this.#freshEstimate(obs);
    if (fresh) return fresh;
    const time = headerTime(obs.headers);
    return this.#learn(obs, time, isCached(obs.headers), false, undefined).estimate;
  }

  /**
   * Whether an answer from `host` would teach anything now: one within
   * `successSampleIntervalMs` of the endpoint's last accepted sample adds little and costs a
   * parse on every request of a busy client. True while nothing is known of the endpoint and
   * while a reading is held (it waits for the next answer's verdict). Adapters that watch
   * traffic they do not run ask before watching a request or before building an observation
   * of a success (`sample` reads every failure it is given), so the common path costs two map
   * lookups; `SampleGate` spares even those between readings.
   */
  wantsSample(host: string): boolean {
    return this.#recentEstimate(host, this.clock.now()) === undefined;
  }

  /**
   * The local time from which an answer from `host` would teach something (see
   * `wantsSample`): `now` while one would already, else the end of the interval after the
   * endpoint's last accepted sample. For `SampleGate`.
   */
  sampleWantedFrom(host: string, now: number): number {
    const recent = this.#recentEstimate(host, now);
    return recent === undefined ? now : recent.updatedAt + this.#successSampleIntervalMs;
  }

  /**
   * Diagnoses a failure the adapter saw outside a request it runs (a presigned URL the user
   * fetched). Learns from the failure's clock readings first; emits `signature.diagnosed`.
   */
  async diagnose(obs: Observation): Promise<Diagnosis> {
    const failure = await loadFailurePath();
    const { facts, time, cached } = failure.readEvidence(obs);
    const estimate = this.#learn(obs, time, cached, false, undefined).estimate;
    return this.#diagnoseAndEmit(failure, obs, facts, estimate);
  }

  #diagnoseAndEmit(
    failure: FailurePath,
    obs: Observation,
    facts: ErrorFacts,
    estimate: OffsetEstimate | undefined,
    decision?: Decision,
  ): Diagnosis {
    const found = failure.diagnose({
      observation: obs,
      facts,
      ...(estimate ? { estimate } : {}),
      resentOnCorrectedClock: obs.resent === true,
      clockThresholdMs: this.#possibleSkewThresholdMs,
    });
    const diagnosis = decision ? truthfulFixes(found, decision) : found;
    this.#emit(obs, estimate, { type: "signature.diagnosed", diagnosis }, facts);
    return diagnosis;
  }

  #freshEstimate(obs: Observation): OffsetEstimate | undefined {
    if (obs.status >= 400 || obs.status === 0) return undefined;
    return this.#recentEstimate(obs.host, this.clock.now());
  }

  #recentEstimate(host: string, now: number): OffsetEstimate | undefined {
    if (this.#successSampleIntervalMs === 0) return undefined;
    // A held reading waits for the next answer's verdict: every success is read meanwhile.
    if (this.offsets.held(host) !== undefined) return undefined;
    const estimate = this.offsets.peek(host);
    if (!estimate) return undefined;
    const age = now - estimate.updatedAt;
    return age >= 0 && age < this.#successSampleIntervalMs ? estimate : undefined;
  }

  #learn(
    obs: Observation,
    evidence: TimeEvidence[],
    cached: boolean,
    corroborated: boolean,
    signing: SigningVerdict | undefined,
  ): { outcome: SampleOutcome; estimate?: OffsetEstimate; refuted?: true } {
    const sample = {
      sentAt: obs.sentAt,
      receivedAt: obs.receivedAt,
      evidence,
      cached,
      ...(signing ? { signing } : {}),
    };
    const { outcome, estimate, previous, refuted } = this.offsets.observe(
      obs.host,
      sample,
      corroborated,
    );
    this.#reportDetection(obs, outcome, estimate, previous);
    return { outcome, ...(estimate ? { estimate } : {}), ...(refuted ? { refuted } : {}) };
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
    obs: Pick<Observation, "provider" | "host" | "operation" | "headers">,
    estimate: OffsetEstimate | undefined,
    specific: DistributiveOmit<SkewguardEvent, CommonKeys>,
    facts?: ErrorFacts,
  ): void {
    const evidence: EvidenceItem[] = [];
    if (facts?.code) evidence.push({ name: "code", value: facts.code });
    const requestId = facts?.requestId ?? requestIdFrom(obs.headers);
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
}

/** Why the engine declined a failure it could not judge (see `loadFailurePath`). */
const UNLOADED = "skewguard's failure reader could not be loaded; the SDK handles this failure";

/** How long a held reading whose trial was refused for its signature waits for another. */
export const HELD_RETRIAL_AFTER_MS = 60_000;

/**
 * Statuses a server gives only once it has authenticated the request: its signing time was
 * inside the server's window.
 */
const AUTHENTICATED_REFUSALS: ReadonlySet<number> = new Set([404, 409, 412]);

/**
 * What the server's answer says of the time the request was signed at: accepted (a success,
 * or a refusal that comes after authentication), refused as skewed (a definite clock refusal),
 * refused (a signature failure the time may explain), or nothing. Presigned URLs carry the time they were made, not this attempt's.
 */
function signingVerdictOf(
  obs: Observation,
  verdict: ClockVerdict,
  presignedExpiry: boolean,
): SigningVerdict | undefined {
  const offsetMs = obs.signed?.offsetMs;
  if (obs.presigned === true || offsetMs === undefined) return undefined;
  const accepted =
    (obs.status >= 200 && obs.status < 400) ||
    (verdict === "none" && AUTHENTICATED_REFUSALS.has(obs.status));
  if (accepted) return { offsetMs, verdict: "accepted" };
  if (presignedExpiry) return undefined;
  if (verdict === "definite") return { offsetMs, verdict: "refused-as-skewed" };
  if (verdict === "possible") return { offsetMs, verdict: "refused" };
  return undefined;
}

/** The catalogue's clock fixes say skewguard signs on the server's clock: true only when it does. */
const CORRECTING_CLAIM = /skewguard signs on the server's clock/i;

/**
 * A diagnosis whose fixes tell what skewguard does: for a failure it declined to correct, or
 * whose clock reading it found false, the claim that it corrects is replaced by why it did
 * not and what happens next.
 */
function truthfulFixes(diagnosis: Diagnosis, decision: Decision): Diagnosis {
  if (!decision.declined && decision.skipReason !== "evidence-untrusted") return diagnosis;
  if (!diagnosis.fixes.some((fix) => CORRECTING_CLAIM.test(fix))) return diagnosis;
  return {
    ...diagnosis,
    fixes: diagnosis.fixes.map((fix) =>
      CORRECTING_CLAIM.test(fix) ? `skewguard did not correct this request: ${decision.why}` : fix,
    ),
  };
}

function outcomeOf(decision: Decision, resent: boolean): RecoveryOutcome {
  if (!decision.declined) return { declined: false, resent };
  return {
    declined: true,
    ...(decision.skipReason ? { reason: decision.skipReason } : {}),
    why: decision.why,
    resent,
  };
}

/** One attempt as the engine read it. */
interface Attempt<T> {
  report: AttemptReport<T>;
  /** For a failure with a response: the observation to judge, once the failure path is loaded. */
  failure?: (path: FailurePath) => Observation;
  failed?: boolean;
  sentAt: number;
  receivedAt: number;
}

/**
 * One send as a promise, a synchronous throw included (`Promise.resolve` gives a native
 * promise back as it is, at no extra step).
 */
function sendOnce<T>(send: SendAttempt<T>, plan: AttemptPlan): Promise<AttemptReport<T>> {
  try {
    return Promise.resolve(send(plan));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** How a first attempt that needed nothing ended: one object for every such request. */
const SUCCEEDED: RecoveryOutcome = Object.freeze({ declined: false, resent: false });

/** Tells the adapter how the run ended; an adapter's exception must not replace the result. */
function tell(request: RecoveryRequest, outcome: RecoveryOutcome): void {
  try {
    request.onOutcome?.(outcome);
  } catch {
    // The adapter's translation is best effort; the caller gets the attempt's result.
  }
}

/** What the caller receives: the last attempt's value or error, with the diagnosis on it. */
function settle<T>(report: AttemptReport<T>, diagnosis?: Diagnosis): T {
  if ("error" in report) throw attachDiagnosis(report.error, diagnosis);
  return attachDiagnosis(report.value, diagnosis);
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

function requestIdFrom(headers: Observation["headers"]): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (value) return value;
  }
  return undefined;
}

/** Every numeric option is checked where it enters: a wrong value is a typed error at once. */
function nonNegative<K extends keyof typeof RECOVERY_DEFAULTS>(
  name: K,
  value: unknown,
  defaults: typeof RECOVERY_DEFAULTS,
): number {
  const chosen = value ?? defaults[name];
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen < 0) {
    throw new SkewguardError(
      "SKEWGUARD_INVALID_OPTION",
      `${name} must be a finite number >= 0, got ${String(value)}`,
    );
  }
  return chosen;
}

/**
 * The offset an estimate says to sign with: 0 (the local clock) when its bounds hold 0, since
 * then the evidence cannot tell the server's clock from this one (the usual case: a `Date` in
 * whole seconds from a server that agrees), else its best reading. Signing on the local clock
 * is what the bare SDK does, so an adapter can leave the SDK's signing untouched on every
 * call where the clocks agree.
 */
function offsetToSignWith(estimate: OffsetEstimate): number {
  return estimate.lowMs <= 0 && estimate.highMs >= 0 ? 0 : estimate.offsetMs;
}
