#!/usr/bin/env node
// The dominance matrix as a table: runs test/dominance (every scenario bare and with
// skewguard, side by side, against the testkit servers) and prints, row by row, what each
// side got on each of its three calls and how many requests each took.
//
//   node scripts/dominance-matrix.mjs            # every provider
//   node scripts/dominance-matrix.mjs azure gcs  # some of them (test file filters)
//
// Exits non-zero when a row fails (wrapped worse than bare) or the suite does not pass.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "skewguard-matrix-"));
const filters = process.argv.slice(2).map((name) => `test/dominance/${name}`);
const started = Date.now();
const run = spawnSync(
  join(root, "node_modules", ".bin", "vitest"),
  ["run", ...(filters.length > 0 ? filters : ["test/dominance"]), "--reporter=dot"],
  {
    cwd: root,
    env: { ...process.env, SKEWGUARD_MATRIX_OUT: out },
    // The SDKs' own warnings fill stderr: shown only when the suite fails.
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  },
);
if (run.status !== 0) process.stderr.write(`${run.stdout}\n${run.stderr}`);
const seconds = ((Date.now() - started) / 1000).toFixed(0);

const rows = readdirSync(out)
  .flatMap((file) => readFileSync(join(out, file), "utf8").split("\n"))
  .filter(Boolean)
  .map((line) => JSON.parse(line));
rmSync(out, { recursive: true, force: true });

/** Short names for the errors that fill the table. */
const SHORT = {
  RequestTimeTooSkewed: "RTTS",
  SignatureDoesNotMatch: "SDM",
  AuthenticationFailed: "AuthFailed",
};
const short = (outcome) => SHORT[outcome] ?? outcome;
const side = (calls) => calls.map((c) => `${short(c.outcome)} ${c.attempts}`).join(" · ");

/** Per call: 1 when wrapped did better (outcome or requests), 0 the same, -1 worse. */
function compare(row) {
  let better = false;
  for (const [i, bare] of row.bare.entries()) {
    const wrapped = row.wrapped[i];
    const sameOutcome = wrapped.outcome === bare.outcome;
    const goodOutcome = wrapped.outcome === row.truth || wrapped.outcome === "ok";
    if (!sameOutcome && !goodOutcome) return -1;
    if (wrapped.attempts > Math.max(bare.attempts, 2)) return -1;
    if (!sameOutcome || wrapped.attempts < bare.attempts) better = true;
  }
  return better ? 1 : 0;
}

const groups = new Map();
for (const row of rows) {
  const key = `${row.provider} · ${row.config}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(row);
}

const lines = [];
const totals = { rows: 0, better: 0, same: 0, worse: 0 };
const summary = [];
for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  const verdicts = group.map(compare);
  const count = (v) => verdicts.filter((x) => x === v).length;
  summary.push({ key, rows: group.length, better: count(1), same: count(0), worse: count(-1) });
  totals.rows += group.length;
  totals.better += count(1);
  totals.same += count(0);
  totals.worse += count(-1);
  lines.push("", `### ${key}`, "");
  lines.push("| scenario | operation | bare: 3 calls | with skewguard | |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const [i, row] of group.entries()) {
    const mark = ["worse", "same", "better"][verdicts[i] + 1];
    lines.push(
      `| ${row.scenario} | ${row.op} | ${side(row.bare)} | ${side(row.wrapped)} | ${mark} |`,
    );
  }
}

console.log("# The dominance matrix: the bare SDK and the same SDK with skewguard");
console.log("");
console.log(
  "Each cell: the outcome of each of three calls in a row on a fresh client, and the requests",
);
console.log(
  "the server counted for it (GCS: the most any one exchange took, token grant or API call).",
);
console.log(
  "RTTS = RequestTimeTooSkewed, SDM = SignatureDoesNotMatch. Skews are the client's clock",
);
console.log("minus the true time; a row passes when skewguard's side is never worse.");
console.log("");
console.log("| provider · configuration | rows | better | same | worse |");
console.log("| --- | --- | --- | --- | --- |");
for (const s of summary) {
  console.log(`| ${s.key} | ${s.rows} | ${s.better} | ${s.same} | ${s.worse} |`);
}
console.log(`| all | ${totals.rows} | ${totals.better} | ${totals.same} | ${totals.worse} |`);
console.log(lines.join("\n"));
console.log("");
console.log(`${totals.rows} rows in ${seconds} s; vitest exit code ${run.status}.`);
process.exit(run.status === 0 && totals.worse === 0 && totals.rows > 0 ? 0 : 1);
