import type { Measurement } from "./measure.js";
import type { Colors, Printer } from "./output.js";

/** Pieces of the human report every command shares. */

export function verdictMark(c: Colors, healthy: boolean): string {
  return healthy ? c.green("✓") : c.red("✗");
}

export interface Advice {
  fixes: readonly string[];
  deadEnds: readonly string[];
  notes?: readonly string[];
}

/** Fixes numbered (try them in order), dead ends crossed, notes last. */
export function printAdvice(printer: Printer, advice: Advice): void {
  const c = printer.colors;
  if (advice.fixes.length > 0) {
    printer.line();
    printer.line(c.bold("Fixes"));
    for (const [i, fix] of advice.fixes.entries()) printer.line(`  ${i + 1}. ${fix}`);
  }
  if (advice.deadEnds.length > 0) {
    printer.line();
    printer.line(c.bold("Dead ends (these will not help)"));
    for (const deadEnd of advice.deadEnds) printer.line(`  ${c.red("✗")} ${deadEnd}`);
  }
  if (advice.notes && advice.notes.length > 0) {
    printer.line();
    printer.line(c.bold("Notes"));
    for (const note of advice.notes) printer.line(`  ${c.yellow("!")} ${note}`);
  }
}

/** Why there is no server clock reading: the endpoint's answers, or their absence. */
export function printMeasurementFailure(printer: Printer, measurement: Measurement): void {
  const c = printer.colors;
  const reasons = new Set(
    measurement.attempts.map((a) =>
      a.error
        ? a.error
        : a.date === undefined
          ? `HTTP ${a.status}, no Date header`
          : `${a.outcome} (Date: ${a.date})`,
    ),
  );
  printer.line(
    c.yellow(
      `  could not read ${measurement.host}'s clock: ${[...reasons].join("; ") || "no answer"}`,
    ),
  );
}
