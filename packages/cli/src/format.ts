/** `15m 0s`, `2h 3m 0.5s`, `450ms`, `3d 4h`: a length of time, unsigned. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  const days = Math.floor(abs / 86_400_000);
  if (days >= 1) return `${days}d ${Math.floor((abs % 86_400_000) / 3_600_000)}h`;
  // Rounded once, to tenths, before splitting: 59.97 s must read "1m 0s", never "60.0s".
  const tenths = Math.round(abs / 100);
  const hours = Math.floor(tenths / 36_000);
  const minutes = Math.floor((tenths % 36_000) / 600);
  const secondTenths = tenths % 600;
  const secondsText =
    secondTenths % 10 === 0 ? `${secondTenths / 10}s` : `${(secondTenths / 10).toFixed(1)}s`;
  return [hours ? `${hours}h` : "", minutes ? `${minutes}m` : "", secondsText]
    .filter(Boolean)
    .join(" ");
}

/** `+20m 0s`, `-450ms`: an offset, signed. */
export function formatSigned(ms: number): string {
  return `${ms < 0 ? "-" : "+"}${formatDuration(ms)}`;
}

/** `+20m 0s (+1200004ms)`: the offset as people read it, and exactly. */
export function formatOffset(ms: number): string {
  const rounded = Math.round(ms);
  return `${formatSigned(rounded)} (${rounded >= 0 ? "+" : ""}${rounded}ms)`;
}

/** "20m 0s behind the server's": which way this machine's clock is off. */
export function describeOffset(offsetMs: number): string {
  if (Math.abs(offsetMs) < 1) return "in step with the server's";
  const amount = formatDuration(offsetMs);
  return offsetMs > 0 ? `${amount} behind the server's` : `${amount} ahead of the server's`;
}

/** ISO 8601, or a placeholder for an impossible instant. */
export function iso(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Lines of `name  value`, names padded to one column. */
export function table(rows: ReadonlyArray<readonly [string, string]>, indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${indent}${name.padEnd(width)}  ${value}`);
}
