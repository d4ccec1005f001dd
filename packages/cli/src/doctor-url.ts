import {
  type ClockView,
  type SignedUrlFacts,
  type UrlJudgement,
  formatDuration,
  formatIso,
  formatMs,
  judgeSignedUrl,
  parseSignedUrl,
} from "@skewguard/diagnosis";
import { signedUrlSecrets } from "@skewguard/diagnosis/adapter";
import type { CliIo } from "./io.js";
import { type Measurement, measureOffset } from "./measure.js";
import { type Printer, printableDeep, withoutUserInfo } from "./output.js";
import { printAdvice, printMeasurementFailure, verdictMark } from "./report.js";
import { table } from "./table.js";
import { EXIT, type ExitCode } from "./usage-error.js";

export interface DoctorUrlOptions {
  json: boolean;
  /** HEAD requests to the URL's origin; 0 skips measuring. */
  samples: number;
  timeoutMs: number;
}

const PROVIDER_TITLES: Readonly<Record<SignedUrlFacts["kind"], string>> = {
  sigv4: "S3 presigned URL",
  sigv2: "S3 presigned URL (legacy SigV2)",
  goog4: "GCS V4 signed URL",
  goog2: "GCS V2 signed URL (legacy)",
  "azure-sas": "Azure SAS URL",
};

/** `skewguard doctor url <signed-url>`. */
export async function doctorUrl(
  text: string,
  options: DoctorUrlOptions,
  io: CliIo,
  printer: Printer,
): Promise<ExitCode> {
  for (const secret of signedUrlSecrets(text)) printer.addSecret(secret);
  // Text that is no URL is quoted back in the error: never with the user info it may hold.
  const facts = parseSignedUrl(isHttpUrl(text) ? text : withoutUserInfo(text));
  const measurement = options.samples > 0 ? await measure(facts, options, io, printer) : undefined;
  const judgement = judgeSignedUrl(facts, {
    localNowMs: io.clock.now(),
    offsetMs: measurement?.estimate?.offsetMs,
  });
  if (options.json) printer.json(toJson(facts, judgement, measurement));
  else
    printHuman(printer, printableDeep(facts), printableDeep(judgement), printableDeep(measurement));
  return judgement.healthy ? EXIT.healthy : EXIT.problem;
}

/** Only the origin is asked: the signature never leaves this process, and any answer carries `Date`. */
async function measure(
  facts: SignedUrlFacts,
  options: DoctorUrlOptions,
  io: CliIo,
  printer: Printer,
): Promise<Measurement> {
  const origin = new URL("/", facts.redactedUrl);
  try {
    return await measureOffset(origin, io, {
      count: options.samples,
      timeoutMs: options.timeoutMs,
      onProgress: (done, total) =>
        printer.progress.update(`reading ${origin.host}'s clock ${done}/${total}`),
    });
  } finally {
    printer.progress.done();
  }
}

function toJson(facts: SignedUrlFacts, judgement: UrlJudgement, measurement?: Measurement) {
  return {
    command: "doctor url",
    url: facts.redactedUrl,
    provider: facts.provider,
    kind: facts.kind,
    algorithm: facts.algorithm ?? null,
    signer: facts.signer ?? null,
    scope: facts.scope ?? null,
    region: facts.region ?? null,
    service: facts.service ?? null,
    account: facts.account ?? null,
    signedAt: formatIso(facts.signedAtMs) ?? null,
    startsAt: formatIso(facts.startsAtMs) ?? null,
    expiresAt: formatIso(facts.expiresAtMs) ?? null,
    expiresSeconds: facts.expiresSeconds ?? null,
    details: facts.details,
    problems: facts.problems,
    local: viewJson(judgement.local),
    server: serverJson(judgement.server, measurement),
    verdict: judgement.verdict,
    healthy: judgement.healthy,
    summary: judgement.summary,
    fixes: judgement.fixes,
    deadEnds: judgement.deadEnds,
    notes: judgement.notes,
  };
}

function viewJson(view: ClockView) {
  return {
    now: formatIso(view.nowMs) ?? null,
    state: view.state,
    remainingMs: view.remainingMs ?? null,
    validInMs: view.validInMs ?? null,
  };
}

function serverJson(view: ClockView | undefined, measurement: Measurement | undefined) {
  if (!measurement) return { measured: false };
  const estimate = measurement.estimate;
  if (!view || !estimate) {
    return { measured: false, host: measurement.host, errors: errorsOf(measurement) };
  }
  return {
    measured: true,
    host: measurement.host,
    offsetMs: Math.round(estimate.offsetMs),
    lowMs: Math.round(estimate.lowMs),
    highMs: Math.round(estimate.highMs),
    boundMs: Math.ceil((estimate.highMs - estimate.lowMs) / 2),
    samples: estimate.samples,
    ...viewJson(view),
  };
}

function errorsOf(measurement: Measurement): string[] {
  return measurement.attempts.flatMap((a) => (a.error ? [a.error] : []));
}

function printHuman(
  printer: Printer,
  facts: SignedUrlFacts,
  judgement: UrlJudgement,
  measurement: Measurement | undefined,
): void {
  const c = printer.colors;
  printer.line(c.bold(`${PROVIDER_TITLES[facts.kind]} (${facts.algorithm ?? "no algorithm"})`));
  for (const row of table(factRows(facts))) printer.line(row);
  printer.line();
  printer.line(c.bold("Lifetime"));
  const lifetime: Array<[string, string]> = [["by this clock", viewText(judgement.local)]];
  if (judgement.server && measurement?.estimate) {
    const e = measurement.estimate;
    const bound = Math.ceil((e.highMs - e.lowMs) / 2);
    lifetime.push([
      "by the server's",
      `${viewText(judgement.server)}  ${c.dim(`(offset ${formatMs(e.offsetMs)} ±${bound}ms, ${e.samples} samples from ${measurement.host})`)}`,
    ]);
  }
  for (const row of table(lifetime)) printer.line(row);
  if (measurement && !measurement.estimate) printMeasurementFailure(printer, measurement);
  printer.line();
  printer.line(
    `${verdictMark(c, judgement.healthy)} ${c.bold(judgement.verdict)}: ${judgement.summary}`,
  );
  printAdvice(printer, judgement);
}

function factRows(facts: SignedUrlFacts): Array<[string, string]> {
  const rows: Array<[string, string]> = [["url", facts.redactedUrl]];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) rows.push([name, value]);
  };
  if (facts.signer) add(facts.signer.label, facts.signer.value);
  add("scope", facts.scope);
  add("region", facts.region);
  add("service", facts.service);
  add("signed at", formatIso(facts.signedAtMs));
  add("starts", formatIso(facts.startsAtMs));
  const lifetime =
    facts.expiresSeconds !== undefined ? ` (${facts.expiresSeconds}s after signing)` : "";
  const expires = formatIso(facts.expiresAtMs);
  add("expires", expires === undefined ? undefined : `${expires}${lifetime}`);
  for (const { name, value } of facts.details) add(name, value);
  for (const problem of facts.problems) add("problem", problem);
  return rows;
}

function viewText(view: ClockView): string {
  if (view.state === "not-yet-valid")
    return `not valid for ${formatDuration(view.validInMs ?? 0)} yet`;
  if (view.remainingMs === undefined) return "valid (no expiry in the URL)";
  if (view.state === "expired") return `expired ${formatDuration(view.remainingMs)} ago`;
  return `${formatDuration(view.remainingMs)} left`;
}

/** What the core reads as a URL (anything else it quotes back): an http(s) URL. */
function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text.trim()).protocol);
  } catch {
    return false;
  }
}
