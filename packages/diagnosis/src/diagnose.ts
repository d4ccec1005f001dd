import { CATALOGUE } from "./catalogue.js";
import {
  DEFINITE_SKEW_CODES,
  hasTimeComplaint,
  isPresignedExpiry,
  POSSIBLE_SKEW_CODES,
} from "./constants.js";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
import { describeOffset, formatIso as iso, formatMs } from "./format.js";
import { truncateRedacted } from "./redact.js";
import {
  type FieldDifference,
  diffCanonicalRequest,
  diffStringToSign,
  parseAmzDate,
  parseV4StringToSign,
} from "./signing-diff.js";
import type {
  Cause,
  Confidence,
  Diagnosis,
  ErrorFacts,
  EvidenceItem,
  Observation,
  OffsetEstimate,
} from "./types.js";

export interface DiagnoseInput {
  observation: Observation;
  /** The facts `readEvidence` read from the response. */
  facts: ErrorFacts;
  /** The endpoint's learned offset, if any. */
  estimate?: OffsetEstimate;
  /** The failed attempt was already signed on the corrected clock. */
  resentOnCorrectedClock: boolean;
  /** A signing time at least this far off the server's counts as the cause. @default 60_000 */
  clockThresholdMs?: number;
}

/** What the diagnosis worked out about time before choosing a cause. */
interface TimeFacts {
  /** Server minus signing time, ms (positive: the client's clock is behind). */
  skewMs?: number;
  serverTimeMs?: number;
  requestTimeMs?: number;
}

interface Finding {
  cause: Cause;
  confidence: Confidence;
  summary: string;
  evidence?: EvidenceItem[];
  firstDifference?: FieldDifference;
}

/**
 * Names the cause of a signature failure from the catalogue, with evidence, fixes and dead
 * ends. Pure; never throws. Rules run from the most specific evidence to the least.
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const time = timeFacts(input);
  const checked: string[] = [];
  const rules = [
    tokenGrant,
    presigned,
    definiteClock,
    signingDifference,
    possibleClock,
    keyMismatch,
  ];
  for (const rule of rules) {
    const finding = rule(input, time, checked);
    if (finding) return build(finding, input, time, checked);
  }
  return build(
    {
      cause: "unknown",
      confidence: "low",
      summary: "Nothing conclusive: the checks below found no cause.",
    },
    input,
    time,
    checked,
  );
}

function timeFacts({ facts, observation, estimate }: DiagnoseInput): TimeFacts {
  const serverSts = facts.stringToSign ? parseV4StringToSign(facts.stringToSign) : undefined;
  const requestTimeMs =
    facts.requestTimeMs ??
    (serverSts ? parseAmzDate(serverSts.date) : undefined) ??
    observation.signed?.signedAtMs;
  const serverTimeMs = facts.serverTimeMs;
  const out: TimeFacts = {};
  if (requestTimeMs !== undefined) out.requestTimeMs = requestTimeMs;
  if (serverTimeMs !== undefined) out.serverTimeMs = serverTimeMs;
  if (serverTimeMs !== undefined && requestTimeMs !== undefined) {
    // Whole-second request times against a later server reading: allow the round trip.
    out.skewMs = serverTimeMs - requestTimeMs;
  } else if (estimate !== undefined) {
    out.skewMs = estimate.offsetMs - (observation.signed?.offsetMs ?? 0);
  }
  return out;
}

function threshold(input: DiagnoseInput): number {
  return input.clockThresholdMs ?? DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS;
}

function tokenGrant(input: DiagnoseInput, time: TimeFacts, checked: string[]): Finding | undefined {
  if (input.facts.code !== "invalid_grant" && input.observation.tokenGrant !== true)
    return undefined;
  checked.push("token grant error");
  const complaint = hasTimeComplaint(input.facts);
  const skewed = time.skewMs !== undefined && Math.abs(time.skewMs) >= threshold(input);
  if ((complaint || skewed) && !input.resentOnCorrectedClock) {
    const confidence: Confidence = complaint && skewed ? "high" : "medium";
    const off = time.skewMs !== undefined ? ` (this clock is ${describeOffset(time.skewMs)})` : "";
    return {
      cause: "jwt-clock-skew",
      confidence,
      summary: `The token endpoint rejected the JWT's iat/exp: they were stamped on a wrong clock${off}.`,
    };
  }
  if (input.facts.code === "invalid_grant") {
    return {
      cause: "secret-key-mismatch",
      confidence: input.resentOnCorrectedClock ? "high" : "medium",
      summary:
        "The token endpoint rejected the service account's JWT, and not for its times: check the key.",
    };
  }
  return undefined;
}

function presigned(input: DiagnoseInput, time: TimeFacts, checked: string[]): Finding | undefined {
  const { facts, observation } = input;
  if (!isPresignedExpiry(facts) && observation.presigned !== true) return undefined;
  checked.push("presigned validity window");
  const now = time.serverTimeMs;
  const notYet =
    (facts.startsAtMs !== undefined && now !== undefined && facts.startsAtMs > now) ||
    /not yet valid/i.test(`${facts.message ?? ""} ${facts.detail ?? ""}`);
  const skewNote =
    time.skewMs !== undefined && Math.abs(time.skewMs) >= threshold(input)
      ? ` It was signed on a clock ${describeOffset(time.skewMs)}.`
      : "";
  if (notYet) {
    return {
      cause: "presigned-not-yet-valid",
      confidence: "high",
      summary: `The signed URL is not valid yet by the server's clock.${skewNote}`,
    };
  }
  if (isPresignedExpiry(facts)) {
    return {
      cause: "presigned-expired",
      confidence: "high",
      summary: `The signed URL had expired by the server's clock.${skewNote}`,
    };
  }
  return undefined;
}

function definiteClock(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const code = input.facts.code;
  checked.push("request time vs server time");
  const definite =
    (code !== undefined && DEFINITE_SKEW_CODES.has(code)) || hasTimeComplaint(input.facts);
  if (!definite) return undefined;
  if (time.skewMs === undefined) {
    return {
      cause: "clock-behind",
      confidence: "low",
      summary: `The server said the request time was out of its window (${code ?? "time complaint"}) but gave no times to say which way.`,
    };
  }
  return clockFinding(time.skewMs, "high");
}

function clockFinding(skewMs: number, confidence: Confidence): Finding {
  return {
    cause: skewMs > 0 ? "clock-behind" : "clock-ahead",
    confidence,
    summary: `This clock is ${describeOffset(skewMs)}: the request was signed at the wrong time.`,
  };
}

function signingDifference(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts, observation } = input;
  const signed = observation.signed;
  if (facts.stringToSign === undefined && facts.canonicalRequest === undefined) return undefined;
  checked.push("server string-to-sign");
  if (signed?.stringToSign !== undefined && facts.stringToSign !== undefined) {
    const diff = diffStringToSign(signed.stringToSign, facts.stringToSign);
    if (diff) return fromStringToSignDiff(diff, input, time);
    return undefined; // identical: the key rule decides
  }
  if (signed?.canonicalRequest !== undefined && facts.canonicalRequest !== undefined) {
    checked.push("server canonical request");
    const diff = diffCanonicalRequest(signed.canonicalRequest, facts.canonicalRequest);
    if (diff) return requestChanged(diff);
  }
  const server = facts.stringToSign ? parseV4StringToSign(facts.stringToSign) : undefined;
  if (
    facts.stringToSign !== undefined &&
    server === undefined &&
    signed?.algorithm?.startsWith("AWS4")
  ) {
    const diff = {
      field: "algorithm",
      client: signed.algorithm,
      server: firstLine(facts.stringToSign),
    };
    return {
      cause: "algorithm-mismatch",
      confidence: "medium",
      summary: "The server expected another signature algorithm.",
      firstDifference: diff,
    };
  }
  if (server && signed?.algorithm && server.algorithm !== signed.algorithm) {
    const diff = { field: "algorithm", client: signed.algorithm, server: server.algorithm };
    return {
      cause: "algorithm-mismatch",
      confidence: "high",
      summary: "Client and server used different signature algorithms.",
      firstDifference: diff,
    };
  }
  if (server && signed?.region && server.region !== signed.region) {
    const diff = { field: "scope.region", client: signed.region, server: server.region };
    return {
      cause: "credential-scope-mismatch",
      confidence: "high",
      summary: `Signed for region ${signed.region}; the server expected ${server.region}.`,
      firstDifference: diff,
    };
  }
  return undefined;
}

function fromStringToSignDiff(
  diff: FieldDifference,
  input: DiagnoseInput,
  time: TimeFacts,
): Finding {
  if (diff.field === "algorithm") {
    return {
      cause: "algorithm-mismatch",
      confidence: "high",
      summary: "Client and server used different signature algorithms.",
      firstDifference: diff,
    };
  }
  if (diff.field === "date" || diff.field === "scope.scope-date") {
    const skew = time.skewMs ?? 0;
    return { ...clockFinding(skew, "high"), firstDifference: diff };
  }
  if (diff.field.startsWith("scope.")) {
    return {
      cause: "credential-scope-mismatch",
      confidence: "high",
      summary: `The credential scope differs in ${diff.field.slice(6)}: "${diff.client}" signed, "${diff.server}" expected.`,
      firstDifference: diff,
    };
  }
  const client = input.observation.signed?.canonicalRequest;
  const server = input.facts.canonicalRequest;
  const deeper = client && server ? diffCanonicalRequest(client, server) : undefined;
  return requestChanged(deeper ?? diff);
}

function requestChanged(diff: FieldDifference): Finding {
  return {
    cause: "request-changed",
    confidence: "high",
    summary: `The request the server received differs from the one signed, first in ${diff.field}.`,
    firstDifference: diff,
  };
}

function possibleClock(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  if (input.resentOnCorrectedClock || time.skewMs === undefined) return undefined;
  if (Math.abs(time.skewMs) < threshold(input)) {
    checked.push(`clock: ${describeOffset(time.skewMs)}, within ${formatMs(threshold(input))}`);
    return undefined;
  }
  return clockFinding(time.skewMs, "medium");
}

function keyMismatch(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts, observation } = input;
  const code = facts.code;
  const signatureFailure =
    (code !== undefined && POSSIBLE_SKEW_CODES.has(code)) ||
    (code === undefined && (observation.status === 401 || observation.status === 403));
  if (!signatureFailure) return undefined;
  checked.push("secret key");
  const identical =
    facts.stringToSign !== undefined &&
    observation.signed?.stringToSign !== undefined &&
    facts.stringToSign === observation.signed.stringToSign;
  const clockRuledOut =
    input.resentOnCorrectedClock ||
    (time.skewMs !== undefined && Math.abs(time.skewMs) < threshold(input));
  // A bare 403 (a HEAD has no body) looks the same for a wrong key and a policy denial; with
  // no server time either, nothing points anywhere: say what was checked instead.
  const bare = code === undefined;
  if (bare && time.skewMs === undefined && !input.resentOnCorrectedClock) return undefined;
  const confidence: Confidence =
    identical || input.resentOnCorrectedClock ? "high" : clockRuledOut && !bare ? "medium" : "low";
  const why = identical
    ? "the server signed the same string, so the secret differs"
    : input.resentOnCorrectedClock
      ? "a resend on the corrected clock failed the same way"
      : time.skewMs === undefined
        ? "the clock could not be checked (no server time in the response)"
        : "the clock was right";
  if (bare && confidence === "low") {
    return {
      cause: "secret-key-mismatch",
      confidence,
      summary: `A ${observation.status} without an error body and ${why}: a wrong secret key, or a policy denial.`,
    };
  }
  return {
    cause: "secret-key-mismatch",
    confidence,
    summary: `The signature does not match and ${why}: the secret key is most likely not the one for this access key.`,
  };
}

function build(
  finding: Finding,
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Diagnosis {
  const entry = CATALOGUE[finding.cause];
  const diagnosis: Diagnosis = {
    cause: finding.cause,
    confidence: finding.confidence,
    summary: finding.summary,
    evidence: [...evidenceOf(input, time), ...(finding.evidence ?? [])],
    fixes: [...entry.fixes],
    deadEnds: [...entry.deadEnds],
    checked,
  };
  if (finding.firstDifference) diagnosis.firstDifference = finding.firstDifference;
  return diagnosis;
}

/** Removes the signature the server echoed (Azure puts it in its detail text) from `text`. */
function withoutEcho(text: string | undefined, facts: ErrorFacts): string | undefined {
  const echoed = facts.signatureProvided;
  if (text === undefined || echoed === undefined || echoed.length < 8) return text;
  return text.split(echoed).join("[REDACTED]");
}

function evidenceOf(
  { facts, observation, estimate }: DiagnoseInput,
  time: TimeFacts,
): EvidenceItem[] {
  const items: EvidenceItem[] = [{ name: "status", value: String(observation.status) }];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== "") items.push({ name, value });
  };
  add("code", facts.code);
  add("message", truncateRedacted(withoutEcho(facts.message, facts) ?? "", 300));
  add("serverTime", iso(time.serverTimeMs));
  add("requestTime", iso(time.requestTimeMs));
  add("skew", time.skewMs !== undefined ? formatMs(time.skewMs) : undefined);
  add(
    "maxAllowedSkew",
    facts.maxAllowedSkewMs !== undefined ? formatMs(facts.maxAllowedSkewMs) : undefined,
  );
  add("expires", iso(facts.expiresAtMs));
  add("expiresIn", facts.expiresSeconds !== undefined ? `${facts.expiresSeconds}s` : undefined);
  add("startsOn", iso(facts.startsAtMs));
  add("accessKeyId", facts.accessKeyId);
  add("detail", truncateRedacted(withoutEcho(facts.detail, facts) ?? "", 300));
  if (estimate)
    add(
      "learnedOffset",
      `${formatMs(estimate.offsetMs)} (±${Math.round((estimate.highMs - estimate.lowMs) / 2)}ms)`,
    );
  return items;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
