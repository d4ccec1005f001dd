import { adviceFor, type DeadEnd } from "./catalogue.js";
import {
  DEFINITE_SKEW_CODES,
  hasTimeComplaint,
  isPresignedExpiry,
  POSSIBLE_SKEW_CODES,
} from "./constants.js";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
import { describeOffset, formatDuration, formatIso as iso, formatMs } from "./format.js";
import { judgeLocalClock, type LocalClockJudgement } from "./local-clock.js";
import { truncateRedacted } from "./redact.js";
import { requestChangedInTransit, requestUnchanged } from "./request-change.js";
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
  /**
   * The endpoint's learned offset, if any. For a pasted failure (`observation.client` set), a
   * measurement of this machine's clock against the endpoint (`doctor error --check-clock`).
   */
  estimate?: OffsetEstimate;
  /** The failed attempt was already signed on the corrected clock. */
  resentOnCorrectedClock: boolean;
  /** A signing time at least this far off the server's counts as the cause. @default 60_000 */
  clockThresholdMs?: number;
}

/** What the diagnosis worked out about time before choosing a cause. */
interface TimeFacts {
  /** Server minus signing time, ms (positive: the request's time is behind the server's). */
  skewMs?: number;
  serverTimeMs?: number;
  requestTimeMs?: number;
  /** Where the skew was read: the failure's own times, or a measurement of this machine now. */
  skewSource?: "failure" | "measured";
  /** Pasted failures measured with `--check-clock`: this machine's offset now (server minus local). */
  measuredMs?: number;
  /** What the client's own log says its clock read when the answer came. */
  local?: LocalClockJudgement;
}

interface Finding {
  cause: Cause;
  confidence: Confidence;
  summary: string;
  evidence?: EvidenceItem[];
  firstDifference?: FieldDifference;
  /** Causes still open, most likely first. */
  candidates?: Cause[];
  /** What was found of the signing clock: decides the dead ends that depend on it. */
  clock?: "skewed" | "right";
  fixes?: readonly string[];
  deadEnds?: readonly DeadEnd[];
}

type Rule = (input: DiagnoseInput, time: TimeFacts, checked: string[]) => Finding | undefined;

/** No server checking these signatures can read a time before 2012 (SigV4's year): its clock was never set. */
export const IMPLAUSIBLE_SERVER_TIME_BEFORE_MS = Date.UTC(2012, 0, 1);
/** The longest lifetime S3 and GCS accept for a signed URL. */
const MAX_SIGNED_URL_LIFETIME_MS = 7 * 86_400_000;

/**
 * Names the cause of a signature failure from the catalogue, with evidence, fixes and dead
 * ends. Pure; never throws. Rules run from the most specific evidence to the least; a finding
 * that leaves other causes open lists them with the check that would confirm each.
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const time = timeFacts(input);
  const checked: string[] = [];
  const rules: Rule[] = [
    serverClockWrong,
    tokenGrant,
    expiryTooLong,
    presigned,
    notSignatureFailure,
    credentials,
    scope,
    algorithm,
    definiteClock,
    signingDifference,
    changedInTransit,
    possibleClock,
    keyMismatch,
  ];
  for (const rule of rules) {
    const finding = rule(input, time, checked);
    if (finding) return build(finding, input, time, checked);
  }
  return build(inconclusive(input, time), input, time, checked);
}

function pasted(input: DiagnoseInput): boolean {
  return input.observation.client !== undefined;
}

function timeFacts(input: DiagnoseInput): TimeFacts {
  const { facts, observation, estimate } = input;
  const serverSts = facts.stringToSign ? parseV4StringToSign(facts.stringToSign) : undefined;
  const requestTimeMs =
    facts.requestTimeMs ??
    (serverSts ? parseAmzDate(serverSts.date) : undefined) ??
    observation.signed?.signedAtMs;
  const out: TimeFacts = {};
  if (requestTimeMs !== undefined) out.requestTimeMs = requestTimeMs;
  const usedOffset = observation.signed?.offsetMs ?? 0;
  if (facts.serverTimeMs !== undefined) out.serverTimeMs = facts.serverTimeMs;
  if (facts.serverTimeMs !== undefined && requestTimeMs !== undefined) {
    out.skewMs = facts.serverTimeMs - requestTimeMs;
    out.skewSource = "failure";
  } else if (estimate !== undefined && !pasted(input)) {
    out.skewMs = estimate.offsetMs - usedOffset;
    out.skewSource = "failure";
  } else if (facts.serverDateMs !== undefined && requestTimeMs !== undefined) {
    out.serverTimeMs = facts.serverDateMs;
    out.skewMs = facts.serverDateMs - requestTimeMs;
    out.skewSource = "failure";
  } else if (estimate !== undefined) {
    out.skewMs = estimate.offsetMs - usedOffset;
    out.skewSource = "measured";
  }
  if (facts.serverTimeMs === undefined && facts.serverDateMs !== undefined) {
    out.serverTimeMs ??= facts.serverDateMs;
  }
  if (pasted(input) && estimate !== undefined) out.measuredMs = estimate.offsetMs - usedOffset;
  const local = judgeLocalClock(observation.client, out.serverTimeMs, requestTimeMs);
  if (local) out.local = local;
  return out;
}

function threshold(input: DiagnoseInput): number {
  return input.clockThresholdMs ?? DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS;
}

function words(facts: ErrorFacts): string {
  return `${facts.message ?? ""}\n${facts.detail ?? ""}`;
}

/** The signing clock, as far as the evidence goes: off, right, or not known. */
function clockState(input: DiagnoseInput, time: TimeFacts): "skewed" | "right" | undefined {
  if (time.skewMs === undefined) return undefined;
  return Math.abs(time.skewMs) >= threshold(input) ? "skewed" : "right";
}

// ---------------------------------------------------------------------------------------------
// Rules

/** A server clock no correct clock can read, or an origin that disagrees with its own edge. */
function serverClockWrong(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts } = input;
  const readings = [facts.serverTimeMs, facts.serverDateMs].filter(
    (r): r is number => r !== undefined,
  );
  if (readings.length === 0) return undefined;
  checked.push("server clock plausibility");
  const request = time.requestTimeMs;
  const early = readings.find((r) => r < IMPLAUSIBLE_SERVER_TIME_BEFORE_MS);
  if (
    early !== undefined &&
    (request === undefined || request >= IMPLAUSIBLE_SERVER_TIME_BEFORE_MS)
  ) {
    const signed = request === undefined ? "" : `, while the request is dated ${iso(request)}`;
    return {
      cause: "server-clock-wrong",
      confidence: "high",
      summary: `The server's clock reads ${iso(early)}, earlier than any server checking these signatures could be${signed}: the server's clock was never set or was reset; this machine's is not the problem.`,
      clock: "right",
    };
  }
  const body = facts.serverTimeMs;
  const date = facts.serverDateMs;
  if (body === undefined || date === undefined || request === undefined) return undefined;
  const limit = threshold(input);
  if (
    Math.abs(request - date) < limit &&
    Math.abs(request - body) >= limit &&
    Math.abs(body - date) >= limit
  ) {
    const gap = body - date;
    const days = Math.round(Math.abs(gap) / 86_400_000);
    const dayLevel = days >= 1 && Math.abs(Math.abs(gap) - days * 86_400_000) < 5 * 60_000;
    return {
      cause: "server-clock-wrong",
      confidence: "high",
      summary: `The server that checked the signature reads ${iso(body)} (ServerTime), ${formatDuration(gap)} ${gap < 0 ? "behind" : "ahead of"} its own front end's Date ${iso(date)}, which agrees with the request's time ${iso(request)}: the origin's ${dayLevel ? "date (or time zone)" : "clock"} is wrong, not this machine's.`,
      evidence: [{ name: "serverDate", value: iso(date) ?? "" }],
      clock: "right",
    };
  }
  return undefined;
}

export const DISABLED_IDENTITY =
  /robot is disabled|account (?:not found|is disabled|has been deleted|disabled)|service account .{0,200}(?:disabled|deleted|does not exist)|invalid_grant: account not found|Invalid grant: account not found/i;

function tokenGrant(input: DiagnoseInput, time: TimeFacts, checked: string[]): Finding | undefined {
  if (input.facts.code !== "invalid_grant" && input.observation.tokenGrant !== true)
    return undefined;
  checked.push("token grant error");
  if (DISABLED_IDENTITY.test(words(input.facts))) {
    return {
      cause: "access-key-disabled",
      confidence: "high",
      summary:
        "The token endpoint refused the service account itself: it is disabled or deleted (or its project is). The clock and the key file's signature are not the problem.",
    };
  }
  const complaint = hasTimeComplaint(input.facts);
  const skewed = time.skewMs !== undefined && Math.abs(time.skewMs) >= threshold(input);
  if ((complaint || skewed) && !input.resentOnCorrectedClock) {
    const confidence: Confidence = complaint && skewed ? "high" : "medium";
    const off = time.skewMs !== undefined ? ` (this clock is ${describeOffset(time.skewMs)})` : "";
    return {
      cause: "jwt-clock-skew",
      confidence,
      summary: `The token endpoint rejected the JWT's iat/exp: they were stamped on a wrong clock${off}.`,
      ...(skewed ? { clock: "skewed" as const } : {}),
    };
  }
  if (input.facts.code === "invalid_grant") {
    return {
      cause: "secret-key-mismatch",
      confidence: input.resentOnCorrectedClock ? "high" : "medium",
      summary:
        "The token endpoint rejected the service account's JWT, and not for its times: check the key.",
      clock: "right",
    };
  }
  return undefined;
}

export const TOO_LONG =
  /X-Amz-Expires must be less than a week|expir\w* (?:must be|is|cannot be) (?:less|no more|longer|more|greater) than (?:a week|7 days|604800)|X-Goog-Expires .{0,200}(?:604800|7 days)/i;

function expiryTooLong(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts, observation } = input;
  if (TOO_LONG.test(words(facts))) {
    checked.push("presigned lifetime");
    return {
      cause: "presigned-expiry-too-long",
      confidence: "high",
      summary:
        "The signed URL asks to live longer than the 7-day maximum (604800 s): it is refused whatever the clock.",
    };
  }
  const asked = observation.signed?.expiresSeconds;
  if (asked !== undefined && asked > MAX_SIGNED_URL_LIFETIME_MS / 1000 && observation.presigned) {
    checked.push("presigned lifetime");
    return {
      cause: "presigned-expiry-too-long",
      confidence: "high",
      summary: `The signed URL asks to live ${asked} s, more than the 7-day maximum (604800 s).`,
    };
  }
  // A GCS V2 string-to-sign carries the expiry as epoch seconds on its fourth line.
  if (input.observation.provider !== "gcs" || facts.stringToSign === undefined) return undefined;
  if (parseV4StringToSign(facts.stringToSign)) return undefined;
  const expires = /^\d{9,11}$/.exec(facts.stringToSign.split("\n")[3] ?? "")?.[0];
  if (expires === undefined) return undefined;
  const expiresMs = Number(expires) * 1000;
  const reference = time.serverTimeMs ?? time.requestTimeMs ?? observation.client?.readAtMs;
  if (reference === undefined || expiresMs - reference <= MAX_SIGNED_URL_LIFETIME_MS)
    return undefined;
  checked.push("presigned lifetime");
  return {
    cause: "presigned-expiry-too-long",
    confidence: time.serverTimeMs === undefined ? "medium" : "high",
    summary: `The signed URL's Expires (${iso(expiresMs)}) is ${formatDuration(expiresMs - reference)} after ${time.serverTimeMs === undefined ? "this was read (the failure came before)" : "the server's time"}: Google honours signed URLs for at most 7 days, and answers a longer one with SignatureDoesNotMatch.`,
  };
}

function presigned(input: DiagnoseInput, time: TimeFacts, checked: string[]): Finding | undefined {
  const { facts, observation } = input;
  const complaint =
    isPresignedExpiry(facts) && !(facts.code !== undefined && DEFINITE_SKEW_CODES.has(facts.code));
  if (!complaint && observation.presigned !== true) return undefined;
  checked.push("presigned validity window");
  const now = time.serverTimeMs;
  const signedAt = observation.signed?.signedAtMs ?? facts.requestTimeMs;
  const notYet =
    (facts.startsAtMs !== undefined && now !== undefined && facts.startsAtMs > now) ||
    /not yet valid|not valid yet/i.test(words(facts));
  if (notYet) {
    const start = facts.startsAtMs ?? signedAt;
    const ahead =
      start !== undefined && now !== undefined && start > now
        ? ` It starts ${formatDuration(start - now)} after the server's time: it was made on a clock ahead, or with a start time in the future.`
        : "";
    return {
      cause: "presigned-not-yet-valid",
      confidence: "high",
      summary: `The signed URL is not valid yet by the server's clock.${ahead}`,
      clock: "skewed",
    };
  }
  if (!complaint) return undefined;
  if (pasted(input)) {
    const expiresAt =
      facts.expiresAtMs ??
      (signedAt !== undefined && facts.expiresSeconds !== undefined
        ? signedAt + facts.expiresSeconds * 1000
        : undefined);
    const when =
      expiresAt !== undefined && now !== undefined && now > expiresAt
        ? ` It expired at ${iso(expiresAt)}, ${formatDuration(now - expiresAt)} before the server read it: it was used that late, or made on a clock that far behind (\`skewguard doctor url\` tells which).`
        : "";
    return {
      cause: "presigned-expired",
      confidence: "high",
      summary: `The signed URL had expired by the server's clock.${when}`,
    };
  }
  const skewNote =
    time.skewMs !== undefined && Math.abs(time.skewMs) >= threshold(input)
      ? ` It was signed on a clock ${describeOffset(time.skewMs)}.`
      : "";
  const clock = clockState(input, time);
  return {
    cause: "presigned-expired",
    confidence: "high",
    summary: `The signed URL had expired by the server's clock.${skewNote}`,
    ...(clock ? { clock } : {}),
  };
}

/** What the services say when authentication succeeded and something else refused. */
const NOT_SIGNATURE: ReadonlyArray<readonly [RegExp, string, string]> = [
  [
    /^(?:NoSuchKey|NoSuchBucket|NotFound|notFound|BlobNotFound|ContainerNotFound|404)$/,
    "the object or container does not exist",
    "Check the bucket/container and key names, and the endpoint's region",
  ],
  [
    /^(?:AccessDenied|AccessDeniedException)$/,
    "a policy denied the action",
    "Read the denial: the identity policy, bucket policy, SCP or permissions boundary named in the message must allow the action",
  ],
  [
    /^AuthorizationPermissionMismatch$/,
    "the identity lacks the RBAC permission",
    "Give the identity a data role on the account or container (Storage Blob Data Reader/Contributor)",
  ],
  [
    /^AuthorizationFailure$/,
    "the account's network rules (firewall) or policy refused it",
    "Check the storage account's 'Firewalls and virtual networks' settings for this client's address",
  ],
  [
    /^(?:InsufficientAccountPermissions|forbidden)$/,
    "the identity lacks the permission",
    "Grant the identity the permission named in the message (IAM role on the bucket or project)",
  ],
];

function notSignatureFailure(
  input: DiagnoseInput,
  _time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const code = input.facts.code ?? (input.observation.status === 404 ? "404" : undefined);
  if (code === undefined) return undefined;
  const match = NOT_SIGNATURE.find(([pattern]) => pattern.test(code));
  if (!match) return undefined;
  checked.push("signature failure or not");
  return {
    cause: "unknown",
    confidence: "low",
    summary: `Not a signature failure: the request was authenticated, and ${match[1]} (${code}). No signature cause applies.`,
    fixes: [match[2]],
    deadEnds: [
      { text: "Fixing the clock or regenerating keys: authentication succeeded", fixes: [] },
    ],
  };
}

const UNKNOWN_KEY_CODES: ReadonlySet<string> = new Set([
  "InvalidAccessKeyId",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
]);
const EXPIRED_TOKEN_CODES: ReadonlySet<string> = new Set(["ExpiredToken", "ExpiredTokenException"]);

/** Credentials the service does not accept as such: expired, missing a token, unknown. */
function credentials(
  input: DiagnoseInput,
  _time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts, observation } = input;
  const text = words(facts);
  const code = facts.code;
  const expired =
    (code !== undefined && EXPIRED_TOKEN_CODES.has(code)) ||
    /security token included in the request is expired/i.test(text);
  if (expired && observation.provider !== "gcs") {
    checked.push("credentials");
    return {
      cause: "temporary-credentials-expired",
      confidence: "high",
      summary:
        "The session token of these temporary credentials has expired: the service refused them before looking at the signature's time or key.",
    };
  }
  const unknownKey =
    (code !== undefined && UNKNOWN_KEY_CODES.has(code)) ||
    /Access Key Id you provided does not exist|security token included in the request is invalid/i.test(
      text,
    );
  if (!unknownKey) return undefined;
  checked.push("credentials");
  const keyId = facts.accessKeyId ?? observation.signed?.accessKeyId;
  const tokenSent = observation.signed?.sessionToken;
  if (keyId?.startsWith("ASIA")) {
    if (tokenSent === true) {
      return {
        cause: "temporary-credentials-expired",
        confidence: "low",
        summary: `The temporary key ${keyId} was sent with a session token and still refused: the token does not belong to this key, or the session is over.`,
        candidates: ["session-token-missing"],
      };
    }
    return {
      cause: "session-token-missing",
      confidence: tokenSent === false ? "high" : "medium",
      summary: `${keyId} is a temporary (ASIA) key, and ${tokenSent === false ? "the request carried no x-amz-security-token" : "a temporary key is unknown to the service only without its session token"}: the session token is missing.`,
      ...(tokenSent === false ? {} : { candidates: ["access-key-disabled" as Cause] }),
    };
  }
  if (keyId !== undefined && /^(?:AKIA|GOOG)/.test(keyId)) {
    return {
      cause: "access-key-disabled",
      confidence: "high",
      summary: `The long-term key ${keyId} is unknown to the service: deleted, deactivated, or from another account or partition. It is not a signature problem.`,
    };
  }
  return {
    cause: "access-key-disabled",
    confidence: "medium",
    summary:
      "The service does not know this access key: deleted or disabled, or a temporary key sent without its session token.",
    candidates: ["session-token-missing"],
  };
}

function scope(input: DiagnoseInput, _time: TimeFacts, checked: string[]): Finding | undefined {
  const { facts, observation } = input;
  const text = words(facts);
  const found = (field: string, client: string, server: string, summary: string): Finding => {
    checked.push("credential scope");
    return {
      cause: "credential-scope-mismatch",
      confidence: "high",
      summary,
      firstDifference: { field, client, server },
    };
  };
  const region = /the region '([^']+)' is wrong; expecting '([^']+)'/.exec(text);
  if (region) {
    return found(
      "scope.region",
      region[1]!,
      region[2]!,
      `Signed for region ${region[1]}; the endpoint expects ${region[2]}.`,
    );
  }
  const invalid = /region name '([^']+)' is not valid(?:\. Must be one of: ([^\n]+))?/.exec(text);
  if (invalid) {
    return found(
      "scope.region",
      invalid[1]!,
      invalid[2]?.trim() ?? "(another region)",
      `Signed for region ${invalid[1]}, which this endpoint does not know${invalid[2] ? `; it accepts ${invalid[2].trim()}` : ""}.`,
    );
  }
  const service = /Credential should be scoped to correct service: '([\w-]+)'/.exec(text);
  if (service) {
    const signedService = observation.signed?.service ?? "(another service)";
    return found(
      "scope.service",
      signedService,
      service[1]!,
      `The credential scope names the wrong service: the endpoint expects '${service[1]}'.`,
    );
  }
  if (/Credential should be scoped to a valid region/.test(text)) {
    return found(
      "scope.region",
      observation.signed?.region ?? "(signed region)",
      "(a valid region)",
      "The credential scope names a region this endpoint does not serve.",
    );
  }
  const date =
    /Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '(\d{8})' != '(\d{8})'(?:, from '(\d{8}T\d{6}Z)')?/.exec(
      text,
    );
  if (date) {
    return found(
      "scope.scope-date",
      date[1]!,
      date[2]!,
      `The credential scope's date ${date[1]} is not the UTC date of the request's X-Amz-Date${date[3] ? ` ${date[3]}` : ""} (${date[2]}): the scope date came from a local, non-UTC date. A scope error, not a clock error.`,
    );
  }
  if (facts.code === "IllegalLocationConstraintException") {
    return found(
      "scope.region",
      observation.signed?.region ?? "(the endpoint's region)",
      "(the bucket's location constraint)",
      "The bucket's location constraint does not match the region of the endpoint the request was signed for and sent to.",
    );
  }
  const bucketRegion = observation.headers["x-amz-bucket-region"];
  const signedRegion = observation.signed?.region;
  if (
    bucketRegion !== undefined &&
    signedRegion !== undefined &&
    bucketRegion !== signedRegion &&
    signatureFailure(input)
  ) {
    return found(
      "scope.region",
      signedRegion,
      bucketRegion,
      `Signed for region ${signedRegion}; the bucket is in ${bucketRegion} (x-amz-bucket-region).`,
    );
  }
  return undefined;
}

const ALGORITHM_REFUSED =
  /Please use AWS4-HMAC-SHA256|SigV2 authorization is not supported|authorization mechanism you have provided is not supported|Please use SigV4|Signature Version 2 is (?:not supported|being turned off)|only supports 'AWS4-HMAC-SHA256'/i;

function algorithm(input: DiagnoseInput, _time: TimeFacts, checked: string[]): Finding | undefined {
  if (!ALGORITHM_REFUSED.test(words(input.facts))) return undefined;
  checked.push("signature algorithm");
  const client = input.observation.signed?.algorithm ?? "SigV2 (by the server's answer)";
  return {
    cause: "algorithm-mismatch",
    confidence: "high",
    summary:
      "The service refuses this signature version: the client signed SigV2 (or another legacy scheme) where SigV4 (AWS4-HMAC-SHA256) is required.",
    firstDifference: { field: "algorithm", client, server: "AWS4-HMAC-SHA256" },
  };
}

/** Wording that says which way a direction-less clock complaint points. */
const OLD_WORDING = /too old|has expired|Signature expired|earlier than/i;
const NEW_WORDING = /too new|not yet current|in the future|still later than/i;

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
    const text = `${code ?? ""} ${words(input.facts)}`;
    const what = code ?? "a time complaint";
    if (code === "RequestInTheFuture" || NEW_WORDING.test(text)) {
      return {
        cause: "clock-ahead",
        confidence: "low",
        summary: `The server said the request's time is in its future (${what}) but gave no times to say by how much.`,
        candidates: ["server-clock-wrong"],
      };
    }
    if (OLD_WORDING.test(text)) {
      return {
        cause: "clock-behind",
        confidence: "low",
        summary: `The server said the request's time is too old (${what}) but gave no times to say by how much.`,
        candidates: pasted(input) ? ["signed-too-early"] : [],
      };
    }
    return {
      cause: "unknown",
      confidence: "low",
      summary: `The server said the request's time was out of its window (${what}) but gave no times: this clock may be behind or ahead${pasted(input) ? ", or the request may have waited after signing" : ""}. Measure the clock to know which.`,
      candidates: pasted(input)
        ? ["clock-behind", "clock-ahead", "signed-too-early"]
        : ["clock-behind", "clock-ahead"],
    };
  }
  return clockVerdict(input, time, "definite");
}

/**
 * A time difference beyond the threshold: a skewed clock, or (for a request older than the
 * server's time) a request that waited after it was signed. The client's own log, a
 * measurement, or the engine's knowledge that it signs right before sending tell them apart.
 */
function clockVerdict(
  input: DiagnoseInput,
  time: TimeFacts,
  kind: "definite" | "possible",
): Finding {
  const skew = time.skewMs!;
  if (!pasted(input)) {
    return { ...clockFinding(skew, kind === "definite" ? "high" : "medium"), clock: "skewed" };
  }
  const limit = threshold(input);
  const measured = time.measuredMs;
  const measuredAgrees =
    measured !== undefined &&
    Math.sign(measured) === Math.sign(skew) &&
    Math.abs(measured - skew) < Math.max(limit, Math.abs(skew) / 4);
  const corroborated = time.local?.agreesWith === "request" || measuredAgrees;
  const keyOpen: Cause[] = kind === "possible" ? ["secret-key-mismatch"] : [];
  if (skew < 0) {
    const confidence: Confidence = kind === "definite" || corroborated ? "high" : "medium";
    return {
      ...clockFinding(skew, confidence),
      clock: "skewed",
      ...(confidence === "high" ? {} : { candidates: keyOpen }),
      evidence: corroborationEvidence(time),
    };
  }
  if (time.local?.agreesWith === "server") return signedTooEarly(input, time, "high", []);
  if (measured !== undefined && Math.abs(measured) < limit) {
    return signedTooEarly(input, time, "medium", ["clock-behind"]);
  }
  if (corroborated) {
    return {
      ...clockFinding(skew, "high"),
      clock: "skewed",
      evidence: corroborationEvidence(time),
    };
  }
  if ((input.observation.client?.lateSendSigns.length ?? 0) > 0) {
    return signedTooEarly(input, time, "medium", ["clock-behind"]);
  }
  return {
    ...clockFinding(skew, "medium"),
    clock: "skewed",
    candidates: ["signed-too-early", ...keyOpen],
  };
}

function clockFinding(skewMs: number, confidence: Confidence): Finding {
  return {
    cause: skewMs > 0 ? "clock-behind" : "clock-ahead",
    confidence,
    summary: `This clock is ${describeOffset(skewMs)}: the request was signed at the wrong time.`,
  };
}

function corroborationEvidence(time: TimeFacts): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  if (time.local?.agreesWith === "request") {
    items.push({
      name: "clientClock",
      value: `the client's own log read ${time.local.readingText} when the answer came: its clock, not the request, was off`,
    });
  }
  return items;
}

function signedTooEarly(
  input: DiagnoseInput,
  time: TimeFacts,
  confidence: Confidence,
  candidates: Cause[],
): Finding {
  const signs = input.observation.client?.lateSendSigns ?? [];
  const waited = time.skewMs === undefined ? "" : ` ${formatDuration(time.skewMs)}`;
  const clockWords =
    time.local?.agreesWith === "server"
      ? `the client's own clock read ${time.local.readingText} when the answer came, as the server's did. The clock is right`
      : time.measuredMs !== undefined
        ? `this machine's clock measures ${describeOffset(time.measuredMs)} now. The clock looks right`
        : "the log shows the request waited";
  const because = signs.length > 0 ? ` (${signs.join("; ")})` : "";
  const evidence: EvidenceItem[] = signs.map((s) => ({ name: "lateSend", value: s }));
  if (time.local) evidence.push({ name: "clientClock", value: time.local.readingText });
  return {
    cause: "signed-too-early",
    confidence,
    summary: `The request reached the server${waited} after its signing time, and ${clockWords}: the request waited after it was signed${because}, rather than being signed on a wrong clock.`,
    evidence,
    candidates,
    clock: candidates.length > 0 ? "skewed" : "right",
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
    return { ...clockFinding(skew, "high"), firstDifference: diff, clock: "skewed" };
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

function requestChanged(diff: FieldDifference, confidence: Confidence = "high"): Finding {
  return {
    cause: "request-changed",
    confidence,
    summary: `The request the server received differs from the one signed, first in ${describeField(diff.field)}.`,
    firstDifference: diff,
  };
}

function describeField(field: string): string {
  if (field.startsWith("header:")) return `the ${field.slice(7)} header`;
  if (field === "path" || field === "query" || field === "method" || field === "verb") {
    return `the ${field}`;
  }
  // Azure SharedKey's fixed lines are headers too (content-type, if-modified-since, range...).
  if (/^(?:content|if|range|date)/.test(field)) return `the ${field} header`;
  return field;
}

/** A signed header an intermediary owns, or a presigned URL sent otherwise than it was signed. */
function changedInTransit(
  input: DiagnoseInput,
  _time: TimeFacts,
  checked: string[],
): Finding | undefined {
  if (!signatureFailure(input)) return undefined;
  const change = requestChangedInTransit(input.observation, input.facts);
  if (!change) return undefined;
  checked.push("request as sent vs as signed");
  const finding = requestChanged(change.difference, change.confidence);
  finding.summary = `${finding.summary} ${change.why}`;
  if (change.confidence !== "high") finding.candidates = ["secret-key-mismatch"];
  return finding;
}

function possibleClock(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  if (input.resentOnCorrectedClock || time.skewMs === undefined) return undefined;
  if (pasted(input) && input.observation.presigned) return undefined;
  if (Math.abs(time.skewMs) < threshold(input)) {
    checked.push(`clock: ${describeOffset(time.skewMs)}, within ${formatMs(threshold(input))}`);
    return undefined;
  }
  if (!pasted(input)) return { ...clockFinding(time.skewMs, "medium"), clock: "skewed" };
  if (!signatureFailure(input)) return undefined;
  return clockVerdict(input, time, "possible");
}

/** A signature failure: a mismatch code, or a bare 401/403. */
function signatureFailure(input: DiagnoseInput): boolean {
  const code = input.facts.code;
  if (code !== undefined) return POSSIBLE_SKEW_CODES.has(code) && !EXPIRED_TOKEN_CODES.has(code);
  return input.observation.status === 401 || input.observation.status === 403;
}

function keyMismatch(
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Finding | undefined {
  const { facts, observation } = input;
  const code = facts.code;
  if (!signatureFailure(input)) return undefined;
  checked.push("secret key");
  const identical =
    facts.stringToSign !== undefined &&
    observation.signed?.stringToSign !== undefined &&
    facts.stringToSign === observation.signed.stringToSign;
  const presignedPaste = pasted(input) && observation.presigned === true;
  // The server's string-to-sign holds the request's own date: whatever the clock read, the
  // server signed what the client signed, so only the key or the request can differ.
  const serverSigned =
    pasted(input) && facts.stringToSign !== undefined && time.skewMs === undefined;
  const clockRight =
    input.resentOnCorrectedClock ||
    presignedPaste ||
    serverSigned ||
    (time.skewMs !== undefined && Math.abs(time.skewMs) < threshold(input));
  const bare = code === undefined;
  if (!identical && !clockRight) return undefined;
  if (identical || input.resentOnCorrectedClock) {
    return {
      cause: "secret-key-mismatch",
      confidence: "high",
      summary: `The signature does not match and ${identical ? "the server signed the same string, so the secret differs" : "a resend on the corrected clock failed the same way"}: the secret key is not the one for this access key.`,
      clock: "right",
    };
  }
  if (pasted(input)) {
    const unchanged = requestUnchanged(observation, facts);
    const why = presignedPaste
      ? "a signed URL's time is checked apart from its signature"
      : serverSigned
        ? "the server signed the request's own date (its StringToSign), so the clock did not change the signature"
        : `the clock was right (${describeOffset(time.skewMs ?? 0)})`;
    return {
      cause: "secret-key-mismatch",
      confidence: unchanged === "proven" ? "high" : "medium",
      summary: `The signature does not match, ${why}${unchanged ? `, and ${unchanged === "proven" ? "the server's canonical request is exactly the request as sent" : "the server's canonical request holds only what the SDK sets"}` : ""}: the secret key is most likely not the one for this access key.`,
      clock: "right",
      ...(unchanged ? {} : { candidates: ["request-changed" as Cause] }),
    };
  }
  const confidence: Confidence = bare ? "low" : "medium";
  if (bare) {
    return {
      cause: "secret-key-mismatch",
      confidence,
      summary: `A ${observation.status} without an error body and the clock was right: a wrong secret key, or a policy denial.`,
      clock: "right",
    };
  }
  return {
    cause: "secret-key-mismatch",
    confidence,
    summary:
      "The signature does not match and the clock was right: the secret key is most likely not the one for this access key.",
    clock: "right",
  };
}

/** Nothing conclusive: what the failure leaves open, each with its check. */
function inconclusive(input: DiagnoseInput, time: TimeFacts): Finding {
  const { facts, observation } = input;
  const text = words(facts);
  if (facts.code === "AuthorizationHeaderMalformed" && /component "\/\d{8}\//.test(text)) {
    return {
      cause: "unknown",
      confidence: "low",
      summary:
        "The Authorization header's Credential has no access key id before its scope: the client has no access key configured. A setup error, not a signature cause.",
      fixes: ["Configure the access key id and secret the client should sign with"],
    };
  }
  if (!signatureFailure(input)) {
    return {
      cause: "unknown",
      confidence: "low",
      summary: "Nothing conclusive: the checks below found no cause.",
    };
  }
  const clockOpen = time.skewMs === undefined || Math.abs(time.skewMs) >= threshold(input);
  const candidates: Cause[] = ["secret-key-mismatch"];
  if (clockOpen) candidates.push("clock-behind", "clock-ahead");
  if (observation.provider !== "azure" || facts.code !== undefined)
    candidates.push("request-changed");
  const bare = facts.code === undefined;
  const what = bare ? `A ${observation.status} with no error code` : `${facts.code}`;
  return {
    cause: "unknown",
    confidence: "low",
    summary: `${what} and no time, string-to-sign or canonical request to tell a wrong key, a skewed clock and a changed request apart${bare ? " (a policy denial looks the same)" : ""}.`,
    candidates,
  };
}

// ---------------------------------------------------------------------------------------------

function build(
  finding: Finding,
  input: DiagnoseInput,
  time: TimeFacts,
  checked: string[],
): Diagnosis {
  const provider = input.observation.provider;
  const advice = adviceFor(finding.cause, provider);
  const candidates = (finding.candidates ?? []).filter((c) => c !== finding.cause);
  const clock = finding.clock ?? clockState(input, time);
  const deadEnds = (finding.deadEnds ?? advice.deadEnds).filter(
    (d) =>
      !d.fixes.some((c) => candidates.includes(c)) &&
      (d.when === undefined || (d.when === "skewed" ? clock === "skewed" : clock === "right")),
  );
  const diagnosis: Diagnosis = {
    cause: finding.cause,
    confidence: finding.confidence,
    summary: finding.summary,
    evidence: [...evidenceOf(input, time), ...(finding.evidence ?? [])],
    fixes: [...(finding.fixes ?? advice.fixes)],
    deadEnds: deadEnds.map((d) => d.text),
    checked,
  };
  if (finding.firstDifference) diagnosis.firstDifference = finding.firstDifference;
  if (candidates.length > 0) {
    diagnosis.candidates = candidates.map((cause) => ({
      cause,
      check: adviceFor(cause, provider).check,
    }));
  }
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
  if (facts.serverDateMs !== undefined && facts.serverDateMs !== time.serverTimeMs) {
    add("serverDate", iso(facts.serverDateMs));
  }
  add("requestTime", iso(time.requestTimeMs));
  add(
    "skew",
    time.skewMs !== undefined && time.skewSource === "failure" ? formatMs(time.skewMs) : undefined,
  );
  add(
    "maxAllowedSkew",
    facts.maxAllowedSkewMs !== undefined ? formatMs(facts.maxAllowedSkewMs) : undefined,
  );
  add("expires", iso(facts.expiresAtMs));
  add("expiresIn", facts.expiresSeconds !== undefined ? `${facts.expiresSeconds}s` : undefined);
  add("startsOn", iso(facts.startsAtMs));
  add("accessKeyId", facts.accessKeyId ?? observation.signed?.accessKeyId);
  add("signedRegion", observation.signed?.region);
  add("detail", truncateRedacted(withoutEcho(facts.detail, facts) ?? "", 300));
  if (estimate) {
    add(
      observation.client ? "measuredOffset" : "learnedOffset",
      `${formatMs(estimate.offsetMs)} (±${Math.round((estimate.highMs - estimate.lowMs) / 2)}ms)`,
    );
  }
  return items;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
