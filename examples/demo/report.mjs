// How the live part prints: a table per provider, the bare SDK's errors, the events.
import { formatMs } from "@skewguard/diagnosis";

export function printProvider(print, provider, result) {
  const skew = formatMs(provider.serverOffsetMs);
  print(`\n--- ${provider.title}: the server's clock is ${skew} off this machine's ---`);
  printTable(print, provider, result);

  const errors = result.bare.calls.filter((call) => call.error && !call.ok);
  if (errors.length) print("\nWhat the bare SDK threw:");
  for (const { call, error } of errors) print(`  ${call}: ${error}`);

  print(`\nskewguard's events (${provider.wrapper}):`);
  for (const event of result.wrapped.events) printEvent(print, event);

  const { wrongKey } = result;
  print(`\nA failure the clock did not cause, same wrapper: ${wrongKey.call}`);
  print(`  ${attempts(wrongKey.attempts)}: ${wrongKey.error ?? wrongKey.outcome}`);
  for (const event of wrongKey.events) printEvent(print, event);
}

function printTable(print, provider, { bare, wrapped }) {
  const rows = [
    ["call", "bare SDK", "outcome", "with skewguard", "outcome"],
    ...provider.calls.map(({ call }, i) => {
      const b = bare.calls[i];
      const w = wrapped.calls[i];
      return [call, attempts(b.attempts), outcome(b), attempts(w.attempts), outcome(w)];
    }),
    [
      "total",
      attempts(bare.attempts),
      bare.ok ? "ok" : "FAILED",
      attempts(wrapped.attempts),
      wrapped.ok ? "ok" : "FAILED",
    ],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const [index, row] of rows.entries()) {
    print(`  ${row.map((cell, column) => cell.padEnd(widths[column])).join("  ")}`.trimEnd());
    if (index === 0) print(`  ${widths.map((width) => "-".repeat(width)).join("  ")}`);
  }
  const note = provider.attemptsNote ? `, ${provider.attemptsNote}` : "";
  print(`  (attempts: requests that reached the server${note})`);
}

const attempts = (n) => `${n} attempt${n === 1 ? "" : "s"}`;

function outcome(call) {
  if (call.outcome === "ok") return call.ok ? "ok" : "FAILED (succeeded?)";
  return call.ok ? `ok (${call.outcome})` : `FAILED ${call.outcome}`;
}

/** One line per event; a diagnosis adds its summary and first fix. */
export function printEvent(print, event) {
  const where = event.operation ? ` ${event.operation}` : "";
  print(`  ${event.type.padEnd(19)}${where.padEnd(14)} ${detailOf(event)}`.trimEnd());
  if (event.type === "signature.diagnosed") {
    print(`      ${event.diagnosis.summary}`);
    if (event.diagnosis.fixes[0]) print(`      first fix: ${event.diagnosis.fixes[0]}`);
  }
}

function detailOf(event) {
  const offset =
    event.offsetMs === undefined
      ? ""
      : `offset ${formatMs(event.offsetMs)}${boundsOf(event.offsetBoundsMs)}`;
  switch (event.type) {
    case "skew.detected":
      return `${offset}: the request was signed ${formatMs(Math.abs(event.skewMs)).slice(1)} ${event.skewMs > 0 ? "behind" : "ahead of"} the server's clock`;
    case "skew.corrected":
      return `${formatMs(event.previousOffsetMs)} -> ${offset}`;
    case "request.resigned":
      return `${event.why}`;
    case "request.recovered":
      return `in ${event.attempts} attempts, ${Math.round(event.extraLatencyMs)} ms extra`;
    case "recovery.skipped":
      return `${event.reason}: ${event.why}`;
    case "signature.diagnosed":
      return `${event.diagnosis.cause} (${event.diagnosis.confidence} confidence)`;
    default:
      return offset;
  }
}

function boundsOf(bounds) {
  if (!bounds) return "";
  const half = (bounds[1] - bounds[0]) / 2;
  return ` ±${half < 1000 ? `${Math.round(half)} ms` : formatMs(half).slice(1)}`;
}
