import {
  type Diagnosis,
  type ErrorFacts,
  type OffsetEstimate,
  type PastedFailure,
  type Provider,
  diagnosePasted,
  formatMs,
  readPastedFailure,
  redact,
} from "@skewguard/diagnosis";
import { cutNotice, readInput } from "./input.js";
import type { CliIo } from "./io.js";
import { type Measurement, measureOffset } from "./measure.js";
import { type Printer, printableDeep } from "./output.js";
import { printAdvice, printMeasurementFailure, verdictMark } from "./report.js";
import { endpointUrl } from "./skew.js";
import { table } from "./table.js";
import { EXIT, type ExitCode, UsageError } from "./usage-error.js";

export interface DoctorErrorOptions {
  json: boolean;
  provider?: Provider;
  /**
   * Measure this machine's clock against the endpoint (network): `true` for the endpoint the
   * input names, or an endpoint URL/host.
   */
  checkClock?: boolean | string;
  /** HEAD requests for `checkClock`. */
  samples?: number;
  /** Per-request timeout for `checkClock`, ms. */
  timeoutMs?: number;
}

const DEFAULT_SAMPLES = 4;
const DEFAULT_TIMEOUT_MS = 5_000;

const SHAPE_TITLES: Readonly<Record<PastedFailure["shape"], string>> = {
  "s3-xml": "S3 XML error body",
  "gcs-xml": "GCS XML API error body",
  "azure-xml": "Azure Storage XML error body",
  "gcs-json": "GCS JSON API error body",
  "oauth-json": "Google OAuth token endpoint error",
  "aws-sdk-error": "AWS SDK error (JSON)",
  "azure-sdk-error": "Azure SDK RestError (JSON)",
  "gcs-sdk-error": "Google client library error (JSON)",
  "azure-detail-text": "Azure AuthenticationErrorDetail",
  "oauth-text": "Google OAuth error description",
  "aws-json": "AWS JSON-protocol error body",
  "sdk-error-text": "SDK or tool error text",
  "error-text": "error message",
};

/** What `--check-clock` measured, for the report. */
interface ClockCheck {
  endpoint?: string;
  measurement?: Measurement;
  /** Why nothing was measured. */
  skipped?: string;
}

/** `skewguard doctor error [file|-]`: reading and judging are the core's; this is input and printing. */
export async function doctorError(
  source: string | undefined,
  options: DoctorErrorOptions,
  io: CliIo,
  printer: Printer,
): Promise<ExitCode> {
  const { text, cut } = await readInput(source, io);
  if (cut) printer.error(cutNotice());
  const read = readPastedFailure(text, options.provider, { clock: io.clock });
  if (!read) throw new UsageError(unreadable(source));
  const check = options.checkClock ? await checkClock(read, options, io, printer) : undefined;
  const estimate: OffsetEstimate | undefined = check?.measurement?.estimate;
  const result = diagnosePasted(text, {
    clock: io.clock,
    ...(options.provider ? { provider: options.provider } : {}),
    ...(estimate ? { estimate } : {}),
  });
  if (!result) throw new UsageError(unreadable(source));
  const { failure: input, diagnosis } = result;
  printer.addSecret(input.facts.signatureProvided);
  if (options.json) printer.json(toJson(input, input.facts, diagnosis, check));
  else {
    // Pasted text and a server's answers are shown, never obeyed (output.ts).
    const shown = printableDeep({ input, diagnosis, check });
    printHuman(printer, shown.input, shown.input.facts, shown.diagnosis, shown.check);
  }
  // Whatever the cause, an error body is a failure someone is chasing.
  return EXIT.problem;
}

/** Measures the clock against the endpoint the input names (or the one given), as `skew` does. */
async function checkClock(
  failure: PastedFailure,
  options: DoctorErrorOptions,
  io: CliIo,
  printer: Printer,
): Promise<ClockCheck> {
  const given = typeof options.checkClock === "string" ? options.checkClock : undefined;
  const endpoint = given ?? failure.endpoint;
  if (endpoint === undefined) {
    return {
      skipped:
        "the input names no endpoint: pass one (`--check-clock https://<host>`) or run `skewguard skew <endpoint>`",
    };
  }
  const target = endpointUrl(endpoint);
  try {
    const measurement = await measureOffset(target, io, {
      count: options.samples ?? DEFAULT_SAMPLES,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      onProgress: (done, total) =>
        printer.progress.update(`measuring ${target.host} ${done}/${total}`),
    });
    return { endpoint: target.origin, measurement };
  } finally {
    printer.progress.done();
  }
}

function unreadable(source: string | undefined): string {
  const where = source === undefined || source === "-" ? "standard input" : source;
  return `no S3, GCS or Azure error found in ${where}: no error code, status or message the checks know. Paste the failure as you have it: the response (curl -v or curl -i output), the SDK's error as it printed it (traceback, console.log, JSON), or the SDK's debug log`;
}

function toJson(
  input: PastedFailure,
  facts: ErrorFacts,
  diagnosis: Diagnosis,
  check: ClockCheck | undefined,
) {
  return {
    command: "doctor error",
    provider: input.provider,
    input: input.shape,
    status: input.observation.status,
    statusInferred: input.statusInferred,
    code: facts.code ?? null,
    requestId: facts.requestId ?? null,
    endpoint: input.endpoint ?? null,
    // The core's allow-list: no field it does not know leaves, strings scrubbed.
    diagnosis: redact(diagnosis),
    recognised: input.recognised,
    pasteInstead: unsure(diagnosis) ? input.pasteInstead : [],
    ...(check ? { clockCheck: clockCheckJson(check) } : {}),
    notes: notesOf(input, diagnosis, check),
  };
}

function clockCheckJson(check: ClockCheck) {
  const e = check.measurement?.estimate;
  return {
    endpoint: check.endpoint ?? null,
    measured: e !== undefined,
    offsetMs: e ? Math.round(e.offsetMs) : null,
    boundMs: e ? Math.ceil((e.highMs - e.lowMs) / 2) : null,
    samples: e?.samples ?? 0,
    ...(check.skipped ? { skipped: check.skipped } : {}),
  };
}

function unsure(diagnosis: Diagnosis): boolean {
  return diagnosis.cause === "unknown" || diagnosis.confidence === "low";
}

function printHuman(
  printer: Printer,
  input: PastedFailure,
  facts: ErrorFacts,
  diagnosis: Diagnosis,
  check: ClockCheck | undefined,
): void {
  const c = printer.colors;
  const title = `${facts.code ?? "error"} · ${SHAPE_TITLES[input.shape]}${input.http ? " with HTTP headers" : ""} · ${input.provider}`;
  printer.line(c.bold(title));
  printer.line();
  const known = diagnosis.cause !== "unknown";
  printer.line(
    `${verdictMark(c, false)} ${c.bold(diagnosis.cause)} ${c.dim(`(confidence ${diagnosis.confidence})`)}`,
  );
  printer.line(`  ${known ? diagnosis.summary : c.yellow(diagnosis.summary)}`);
  printer.line();
  printer.line(c.bold("Evidence"));
  for (const row of table(evidenceRows(input, diagnosis))) printer.line(row);
  const diff = diagnosis.firstDifference;
  if (diff) {
    printer.line();
    printer.line(c.bold(`First difference: ${diff.field}`));
    for (const row of table([
      ["client", diff.client],
      ["server", diff.server],
    ]))
      printer.line(row);
  }
  if (check?.measurement && !check.measurement.estimate) {
    printer.line();
    printMeasurementFailure(printer, check.measurement);
  }
  const candidates = diagnosis.candidates ?? [];
  if (candidates.length > 0) {
    printer.line();
    printer.line(
      c.bold(known ? "Not ruled out (most likely first)" : "Possible causes (most likely first)"),
    );
    for (const [i, candidate] of candidates.entries()) {
      printer.line(`  ${i + 1}. ${c.bold(candidate.cause)}: ${candidate.check}`);
    }
  }
  printAdvice(printer, {
    fixes: diagnosis.fixes,
    deadEnds: diagnosis.deadEnds,
    notes: notesOf(input, diagnosis, check),
  });
  if (unsure(diagnosis) && input.pasteInstead.length > 0) {
    printer.line();
    printer.line(c.bold("For a surer answer, paste"));
    for (const item of input.pasteInstead) printer.line(`  - ${item}`);
  }
  printer.line();
  printer.line(c.dim(`Read: ${input.recognised.join("; ") || "the error text"}.`));
  if (diagnosis.checked.length > 0) {
    printer.line(c.dim(`Checked: ${diagnosis.checked.join(", ")}.`));
  }
}

/** What the answer could not say, and how to find out. */
function notesOf(
  input: PastedFailure,
  diagnosis: Diagnosis,
  check: ClockCheck | undefined,
): string[] {
  const notes: string[] = [];
  if (check?.skipped) notes.push(`--check-clock measured nothing: ${check.skipped}.`);
  const estimate = check?.measurement?.estimate;
  if (estimate) {
    notes.push(
      `This machine's clock, measured against ${check?.endpoint ?? "the endpoint"} now: ${formatMs(Math.round(estimate.offsetMs))} ±${Math.ceil((estimate.highMs - estimate.lowMs) / 2)}ms (server minus this machine).`,
    );
    return notes;
  }
  if (diagnosis.evidence.some((e) => e.name === "skew")) return notes;
  const where = input.endpoint ?? "<endpoint>";
  const clockOpen =
    /^(clock-|presigned-|jwt-)/.test(diagnosis.cause) ||
    (diagnosis.candidates ?? []).some((c) => c.cause.startsWith("clock-"));
  if (!clockOpen) return notes;
  if (diagnosis.cause === "jwt-clock-skew") {
    notes.push(
      "The error does not say by how much: `skewguard skew oauth2.googleapis.com` (or `doctor error --check-clock`) measures it.",
    );
  } else if (/^(clock-|presigned-)/.test(diagnosis.cause)) {
    notes.push(
      `The error does not say by how much: \`skewguard skew ${where}\` (or \`doctor error --check-clock\`) measures it.`,
    );
  } else {
    notes.push(
      `The error does not say the server's time, so the clock is not ruled out: run \`skewguard doctor error --check-clock\` (or \`skewguard skew ${where}\`) from the machine that signed.`,
    );
  }
  return notes;
}

/** OAuth errors repeat the description as message and detail: show it once. */
function evidenceRows(input: PastedFailure, diagnosis: Diagnosis): Array<[string, string]> {
  const shown = new Set<string>();
  return diagnosis.evidence.flatMap(({ name, value }): Array<[string, string]> => {
    if (name !== "status" && shown.has(value)) return [];
    shown.add(value);
    const text =
      name === "status" && input.statusInferred ? `${value} (assumed; not in the input)` : value;
    return [[name, oneLine(text)]];
  });
}

/** Multi-line values (Azure's detail) would break the columns. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ⏎ ");
}
