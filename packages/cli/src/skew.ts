import {
  type ImpactStatus,
  type WindowImpact,
  describeOffset,
  formatDuration,
  formatMs,
  windowImpacts,
} from "@skewguard/diagnosis";
import type { CliIo } from "./io.js";
import { isUnresolved, type Measurement, measureOffset } from "./measure.js";
import { type Colors, type Printer, printableDeep, quoted } from "./output.js";
import { printMeasurementFailure, verdictMark } from "./report.js";
import { table } from "./table.js";
import { EXIT, type ExitCode, UsageError } from "./usage-error.js";

export interface SkewOptions {
  json: boolean;
  samples: number;
  timeoutMs: number;
  /** Offsets at or beyond this are a problem (exit 1). */
  toleranceMs: number;
}

/** `skewguard skew <url>`. */
export async function skew(
  text: string,
  options: SkewOptions,
  io: CliIo,
  printer: Printer,
): Promise<ExitCode> {
  const target = endpointUrl(text);
  let measurement: Measurement;
  try {
    measurement = await measureOffset(target, io, {
      count: options.samples,
      timeoutMs: options.timeoutMs,
      onProgress: (done, total) =>
        printer.progress.update(`measuring ${target.host} ${done}/${total}`),
    });
  } finally {
    printer.progress.done();
  }
  const estimate = measurement.estimate;
  const healthy = estimate !== undefined && Math.abs(estimate.offsetMs) < options.toleranceMs;
  const impacts = estimate ? windowImpacts(estimate.offsetMs, options.toleranceMs) : [];
  if (options.json) printer.json(toJson(measurement, options, healthy, impacts));
  else printHuman(printer, printableDeep(measurement), options, healthy, impacts);
  return healthy ? EXIT.healthy : EXIT.problem;
}

/** A bare host is taken as https; a query is dropped (it may hold a signature). */
export function endpointUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // reported below
  }
  throw new UsageError(`not an http(s) URL or host: ${quoted(text)}`);
}

function toJson(
  measurement: Measurement,
  options: SkewOptions,
  healthy: boolean,
  impacts: WindowImpact[],
) {
  const e = measurement.estimate;
  return {
    command: "skew",
    target: measurement.target,
    host: measurement.host,
    measured: e !== undefined,
    offsetMs: e ? Math.round(e.offsetMs) : null,
    lowMs: e ? Math.floor(e.lowMs) : null,
    highMs: e ? Math.ceil(e.highMs) : null,
    boundMs: e ? boundOf(e) : null,
    samples: e?.samples ?? 0,
    failure: failureOf(measurement),
    toleranceMs: options.toleranceMs,
    healthy,
    windows: impacts,
    attempts: measurement.attempts.map((a) => ({
      roundTripMs: a.receivedAt - a.sentAt,
      status: a.status ?? null,
      date: a.date ?? null,
      outcome: a.outcome,
      ...(a.error ? { error: a.error } : {}),
    })),
  };
}

/**
 * Why there is no offset: the host name did not resolve, nothing answered, or the answers had
 * no usable `Date`; null when there is one.
 */
function failureOf(measurement: Measurement): "unresolved" | "no-answer" | "no-date" | null {
  if (measurement.estimate) return null;
  const errors = measurement.attempts.flatMap((a) => (a.error === undefined ? [] : [a.error]));
  if (errors.some(isUnresolved)) return "unresolved";
  return errors.length === measurement.attempts.length ? "no-answer" : "no-date";
}

/** Half the width, rounded up: the offset is within ± this of the printed value. */
function boundOf(e: { lowMs: number; highMs: number }): number {
  return Math.ceil((e.highMs - e.lowMs) / 2);
}

function printHuman(
  printer: Printer,
  measurement: Measurement,
  options: SkewOptions,
  healthy: boolean,
  impacts: WindowImpact[],
): void {
  const c = printer.colors;
  const e = measurement.estimate;
  printer.line(
    c.bold(`Clock offset to ${measurement.host}`) + c.dim(` (HEAD ${measurement.target})`),
  );
  if (!e) {
    printMeasurementFailure(printer, measurement);
    printer.line();
    const failure = failureOf(measurement);
    const why =
      failure === "unresolved"
        ? `${measurement.host.replace(/:\d+$/, "")} did not resolve: check the name, or this machine's DNS`
        : failure === "no-answer"
          ? "the endpoint did not answer"
          : "the endpoint gave no usable Date header";
    printer.line(`${verdictMark(c, false)} no offset: ${why}`);
    return;
  }
  const rows: Array<[string, string]> = [
    [
      "offset",
      `${offsetText(e.offsetMs)} ±${boundOf(e)}ms  ${c.dim("(server minus this machine)")}`,
    ],
    ["range", `${Math.floor(e.lowMs)}ms .. ${Math.ceil(e.highMs)}ms`],
    ["samples", `${e.samples} of ${measurement.attempts.length} requests`],
  ];
  for (const row of table(rows)) printer.line(row);
  printer.line();
  const verdict = healthy
    ? `this clock is ${describeOffset(e.offsetMs)}, within the ${formatDuration(options.toleranceMs)} tolerance`
    : `this clock is ${describeOffset(e.offsetMs)}: more than the ${formatDuration(options.toleranceMs)} tolerance`;
  printer.line(`${verdictMark(c, healthy)} ${verdict}`);
  printer.line();
  printer.line(c.bold("What it means"));
  for (const impact of impacts) {
    printer.line(
      `  ${statusMark(c, impact.status)} ${c.bold(impact.what)} ${c.dim(`[${impact.window}]`)}`,
    );
    printer.line(`      ${impact.detail}`);
  }
  if (!healthy) {
    printer.line();
    printer.line(c.bold("Fix"));
    printer.line(
      "  Resynchronise this clock: `sudo timedatectl set-ntp true` or `sudo chronyc makestep` (Linux),",
    );
    printer.line(
      "  `w32tm /resync` (Windows); meanwhile skewguard's plugins sign on the server's clock.",
    );
  }
}

/** `+20m 0s (+1200004ms)`: as people read it, and to the millisecond when that adds anything. */
function offsetText(offsetMs: number): string {
  const exact = Math.round(offsetMs);
  if (Math.abs(exact) < 1000) return formatMs(exact);
  return `${formatMs(exact)} (${exact > 0 ? "+" : ""}${exact}ms)`;
}

function statusMark(c: Colors, status: ImpactStatus): string {
  if (status === "ok") return c.green("✓");
  if (status === "at-risk") return c.yellow("!");
  return c.red("✗");
}
