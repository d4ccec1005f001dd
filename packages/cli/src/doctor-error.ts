import {
  type Diagnosis,
  type ErrorFacts,
  type PastedFailure,
  type Provider,
  diagnosePasted,
  redact,
} from "@skewguard/diagnosis";
import { table } from "./table.js";
import type { CliIo } from "./io.js";
import type { Printer } from "./output.js";
import { printAdvice, verdictMark } from "./report.js";
import { EXIT, type ExitCode, UsageError } from "./usage-error.js";

export interface DoctorErrorOptions {
  json: boolean;
  provider?: Provider;
}

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

/** `skewguard doctor error [file|-]`. */
export async function doctorError(
  source: string | undefined,
  options: DoctorErrorOptions,
  io: CliIo,
  printer: Printer,
): Promise<ExitCode> {
  const text = await readSource(source, io);
  const result = diagnosePasted(text, options.provider ? { provider: options.provider } : {});
  if (!result) throw new UsageError(unreadable(source));
  const { failure: input, diagnosis } = result;
  printer.addSecret(input.facts.signatureProvided);
  if (options.json) printer.json(toJson(input, input.facts, diagnosis));
  else printHuman(printer, input, input.facts, diagnosis);
  // Whatever the cause, an error body is a failure someone is chasing.
  return EXIT.problem;
}

async function readSource(source: string | undefined, io: CliIo): Promise<string> {
  if (source === undefined || source === "-") {
    if (source === undefined && io.stdin.isTTY === true) {
      throw new UsageError(
        "no input: pass a file, or pipe the error body in (… | skewguard doctor error -)",
      );
    }
    return readStream(io.stdin);
  }
  try {
    return await io.readFile(source);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`cannot read ${source}${typeof code === "string" ? ` (${code})` : ""}`, {
      cause: error,
    });
  }
}

async function readStream(stream: CliIo["stdin"]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

function unreadable(source: string | undefined): string {
  const where = source === undefined || source === "-" ? "standard input" : source;
  return `no S3, GCS or Azure error found in ${where}: expected an XML or JSON error body, an HTTP response (curl -i), or an SDK error printed as JSON`;
}

function toJson(input: PastedFailure, facts: ErrorFacts, diagnosis: Diagnosis) {
  return {
    command: "doctor error",
    provider: input.provider,
    input: input.shape,
    status: input.observation.status,
    statusInferred: input.statusInferred,
    code: facts.code ?? null,
    requestId: facts.requestId ?? null,
    // The core's allow-list: no field it does not know leaves, strings scrubbed.
    diagnosis: redact(diagnosis),
    notes: notesOf(diagnosis),
  };
}

function printHuman(
  printer: Printer,
  input: PastedFailure,
  facts: ErrorFacts,
  diagnosis: Diagnosis,
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
  printAdvice(printer, {
    fixes: diagnosis.fixes,
    deadEnds: diagnosis.deadEnds,
    notes: notesOf(diagnosis),
  });
  if (diagnosis.checked.length > 0) {
    printer.line();
    printer.line(c.dim(`Checked: ${diagnosis.checked.join(", ")}.`));
  }
}

/** A body without the server's time cannot say how far the clock is, nor rule it out; a measurement can. */
function notesOf(diagnosis: Diagnosis): string[] {
  if (diagnosis.evidence.some((e) => e.name === "skew")) return [];
  if (diagnosis.cause === "jwt-clock-skew") {
    return [
      "The error does not say by how much: `skewguard skew oauth2.googleapis.com` measures it.",
    ];
  }
  if (/^(clock-|presigned-)/.test(diagnosis.cause)) {
    return ["The error does not say by how much: `skewguard skew <endpoint>` measures it."];
  }
  return [
    "The error does not say the server's time, so the clock is not ruled out: run `skewguard skew <endpoint>` from the machine that signed.",
  ];
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
