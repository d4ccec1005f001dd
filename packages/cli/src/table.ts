/** Lines of `name  value`, names padded to one column. */
export function table(rows: ReadonlyArray<readonly [string, string]>, indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${indent}${name.padEnd(width)}  ${value}`);
}
