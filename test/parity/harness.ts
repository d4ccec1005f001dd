import type { Confidence, Diagnosis } from "@skewguard/diagnosis";
import { afterAll, expect } from "vitest";
import { skewguard, stdinOf } from "../cli/helpers.js";
import { type Exchange, curlOutput } from "./recording-proxy.js";

/** What `skewguard doctor error --json` said of one pasted text. */
export interface DoctorVerdict {
  /** The exit code: 1 for a failure read and judged, 2 for input it could not read. */
  code: number;
  cause: string;
  confidence: Confidence;
  input: string;
  provider: string;
  status: number;
  /** Everything the command printed, stdout and stderr. */
  printed: string;
}

interface DoctorJson {
  provider: string;
  input: string;
  status: number;
  diagnosis: { cause: string; confidence: Confidence };
}

/** Runs `skewguard doctor error - --json` in-process on `text`, as a person pastes it. */
export async function doctorError(text: string): Promise<DoctorVerdict> {
  const result = await skewguard(["doctor", "error", "-", "--json"], { stdin: stdinOf(text) });
  const printed = result.stdout + result.stderr;
  if (result.code !== 1) {
    return {
      code: result.code,
      cause: "unreadable",
      confidence: "low",
      input: "",
      provider: "",
      status: 0,
      printed,
    };
  }
  const report = result.json<DoctorJson>();
  return {
    code: result.code,
    cause: report.diagnosis.cause,
    confidence: report.diagnosis.confidence,
    input: report.input,
    provider: report.provider,
    status: report.status,
    printed,
  };
}

/** The capture of the failed attempt the user received: the last refused exchange. */
export function lastRefusal(exchanges: readonly Exchange[]): Exchange {
  const refused = exchanges.filter((e) => e.status >= 400);
  const last = refused.at(-1);
  if (!last) throw new Error("the proxy recorded no refused response");
  return last;
}

/** The last refusal as `curl -i` printed it. */
export function capturedText(exchanges: readonly Exchange[]): string {
  return curlOutput(lastRefusal(exchanges));
}

const RANK: Readonly<Record<Confidence, number>> = { low: 0, medium: 1, high: 2 };

/** `a` is at most as confident as `b`. */
export function atMost(a: Confidence, b: Confidence): boolean {
  return RANK[a] <= RANK[b];
}

/** How one pasted form must relate to the adapter's diagnosis. */
export type Relation =
  /** Same cause, same confidence. */
  | "same"
  /**
   * Same cause, confidence no higher: the adapter knew what it signed (its string-to-sign,
   * its signing offset) or that its resend on the corrected clock failed the same way; the
   * pasted response alone does not say so.
   */
  | "same-cause-lower-confidence"
  /**
   * The paste leaves the cause open (`unknown`, with candidates): it lacks what the adapter
   * knew (the time it signed at, for a bodiless HEAD or a body stripped of its request time),
   * so naming a cause from it would be a guess.
   */
  | "open-in-paste";

/**
 * Disagreements found by this suite that are bugs, not the information gap the design allows.
 * A case that meets one pins what the pasted form says today, so the suite stays green and the
 * bug stays visible: once it is fixed the pin fails, and the case should then assert parity.
 */
export const KNOWN_BUGS = {
  /**
   * A grant refused for its times (`invalid_grant`, "Check your iat and exp values") whose
   * corrective resend is refused the same way is named `secret-key-mismatch` at high
   * confidence by the adapter ("not for its times: check the key"), though the token endpoint
   * checks the signature before the times: the key is the one thing the refusal proves right.
   * The pasted refusal says `jwt-clock-skew`.
   */
  "time-refusal-after-resend-blames-key":
    "a grant refused for its times twice is blamed on the key",
} as const;
export type KnownBug = keyof typeof KNOWN_BUGS;

/** What a pasted form says today because of a known bug. */
export interface Pinned {
  /** The bug, or the bugs that together make the answer. */
  bug: KnownBug | readonly KnownBug[];
  cause: string;
  confidence: Confidence;
}

/** One row of the parity table (printed with SKEWGUARD_PARITY_TABLE=1). */
export interface ParityRow {
  provider: string;
  scenario: string;
  adapter: string;
  capture: string;
  sdkError: string;
  agree: string;
}

const rows: ParityRow[] = [];
afterAll(() => {
  if (process.env["SKEWGUARD_PARITY_TABLE"] !== "1" || rows.length === 0) return;
  const line = (r: ParityRow) =>
    `| ${r.provider} | ${r.scenario} | ${r.adapter} | ${r.capture} | ${r.sdkError} | ${r.agree} |`;
  console.log(rows.map(line).join("\n"));
});

const show = (v: { cause: string; confidence: Confidence } | undefined) =>
  v ? `${v.cause} / ${v.confidence}` : "n/a";

function related(relation: Relation, adapter: Diagnosis, pasted: DoctorVerdict): boolean {
  if (pasted.cause !== adapter.cause) return false;
  if (relation === "same") return pasted.confidence === adapter.confidence;
  return atMost(pasted.confidence, adapter.confidence);
}

/** How one pasted form is judged against the adapter: a relation, or a pinned known bug. */
export type Expectation = Relation | Pinned;

export interface ParityCase {
  provider: "s3" | "azure" | "gcs";
  scenario: string;
  /** `diagnosisOf(error)` of the wrapped client's error (or the adapter's own diagnosis). */
  adapter: Diagnosis | undefined;
  /** The cause and confidence the adapter names. */
  cause: string;
  confidence: Confidence;
  /** The refused response as it came over the wire, `curl -i` style. */
  capture: string;
  /** How the capture's diagnosis relates to the adapter's. @default "same" */
  fromCapture?: Expectation;
  /** The SDK's error printed as JSON, where the failure is an SDK error. */
  sdkError?: string;
  /** How the SDK error's diagnosis relates to the adapter's. @default "same" */
  fromSdkError?: Expectation;
  /** Secrets in play: none may appear in any output. */
  secrets: ReadonlyArray<string | undefined>;
}

function judge(
  form: string,
  expectation: Expectation,
  adapter: Diagnosis,
  pasted: DoctorVerdict,
): string {
  if (typeof expectation === "object") {
    const bugs: readonly KnownBug[] =
      typeof expectation.bug === "string" ? [expectation.bug] : expectation.bug;
    const named = bugs.map((bug) => `"${bug}" (${KNOWN_BUGS[bug]})`).join(" and ");
    expect(
      { cause: pasted.cause, confidence: pasted.confidence },
      `${form}: the answer of known bug ${named} changed; if it is fixed, assert parity here instead of the pin`,
    ).toEqual({ cause: expectation.cause, confidence: expectation.confidence });
    return `NO (bug: ${bugs.join(" + ")})`;
  }
  expect(pasted.code, `${form}: doctor error read it`).toBe(1);
  if (expectation === "open-in-paste") {
    expect(pasted.cause, `${form}: left open`).toBe("unknown");
    return "open in the paste";
  }
  expect(pasted.cause, `${form}: the cause`).toBe(adapter.cause);
  expect(
    related(expectation, adapter, pasted),
    `${form} ${show(pasted)} vs adapter ${show(adapter)}: expected ${expectation}`,
  ).toBe(true);
  return expectation === "same" ? "yes" : "yes, lower confidence";
}

/**
 * Feeds the capture and the SDK error to `doctor error` and checks them against the adapter's
 * diagnosis, and that no output carries a secret. Returns the verdicts for further checks.
 */
export async function expectParity(c: ParityCase): Promise<{
  capture: DoctorVerdict;
  sdkError?: DoctorVerdict;
}> {
  expect(c.adapter, "the wrapped client's error carries a diagnosis").toBeDefined();
  const adapter = c.adapter as Diagnosis;
  expect(
    { cause: adapter.cause, confidence: adapter.confidence },
    "the adapter's diagnosis",
  ).toEqual({ cause: c.cause, confidence: c.confidence });
  const capture = await doctorError(c.capture);
  const sdkError = c.sdkError === undefined ? undefined : await doctorError(c.sdkError);
  const row: ParityRow = {
    provider: c.provider,
    scenario: c.scenario,
    adapter: show(adapter),
    capture: show(capture),
    sdkError: show(sdkError),
    agree: "",
  };
  rows.push(row);
  if (capture.code === 1)
    expect(capture.provider, "provider read from the capture").toBe(c.provider);
  if (sdkError?.code === 1)
    expect(sdkError.provider, "provider read from the SDK error").toBe(c.provider);
  const agreements = [judge("capture", c.fromCapture ?? "same", adapter, capture)];
  if (sdkError) agreements.push(judge("SDK error", c.fromSdkError ?? "same", adapter, sdkError));
  row.agree = agreements.join(" / ");

  expectNoSecrets([JSON.stringify(adapter), capture.printed, sdkError?.printed ?? ""], c.secrets);
  return { capture, ...(sdkError ? { sdkError } : {}) };
}

/**
 * No secret in any text: the ones named, and whatever has the shape of a signature, a SAS
 * `sig`, a SharedKey or SigV4 Authorization value, a bearer or access token, a JWT or a key.
 */
export function expectNoSecrets(
  texts: readonly string[],
  secrets: ReadonlyArray<string | undefined>,
): void {
  for (const text of texts) {
    for (const secret of secrets) {
      if (secret) expect(text, "a secret in the output").not.toContain(secret);
    }
    expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
    expect(text).not.toMatch(/X-(?:Amz|Goog)-Signature=[0-9a-f]{16,}/i);
    expect(text).not.toContain("AWS4-HMAC-SHA256 Credential=");
    expect(text).not.toMatch(/SharedKey [^\s"]+:[A-Za-z0-9+/=]{20,}/);
    expect(text).not.toMatch(/[?&]sig=[^&\s"]{10,}/);
    expect(text).not.toMatch(/Bearer [\w.-]{8,}/);
    expect(text).not.toContain("ya29.");
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
  }
}

/** The signature of a request's `Authorization` header (SigV4 `Signature=`, SharedKey `acct:sig`). */
export function authorizationSignature(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== "authorization") continue;
    const value = rawHeaders[i + 1] ?? "";
    return /Signature=([0-9a-f]+)/.exec(value)?.[1] ?? /^SharedKey [^:]+:(\S+)$/.exec(value)?.[1];
  }
  return undefined;
}
