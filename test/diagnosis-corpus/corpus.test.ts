import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { run } from "@skewguard/cli";
import { diagnosePasted } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";

/**
 * The diagnosis corpus: failure text as people paste it, each with its true cause (see
 * README.md here for the conventions). Every case goes through `skewguard doctor error --json`
 * in-process and through the core's `diagnose`; the confusion table is printed on every run.
 *
 * A ratchet against baseline.json: the test fails when matches drop below, or confidently
 * wrong answers rise above, the checked-in counts. Environment:
 * - SKEWGUARD_CORPUS_PRINT_ONLY=1: print the table, assert nothing about the counts.
 * - SKEWGUARD_CORPUS_UPDATE_BASELINE=1: print, then write the current counts to baseline.json.
 */

const PRINT_ONLY = process.env["SKEWGUARD_CORPUS_PRINT_ONLY"] === "1";
const UPDATE_BASELINE = process.env["SKEWGUARD_CORPUS_UPDATE_BASELINE"] === "1";

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The catalogue's causes today, and those the "right on the failures people paste" issue adds. */
const CAUSES = [
  "clock-behind",
  "clock-ahead",
  "presigned-expired",
  "presigned-not-yet-valid",
  "secret-key-mismatch",
  "credential-scope-mismatch",
  "algorithm-mismatch",
  "request-changed",
  "jwt-clock-skew",
  "signed-too-early",
  "temporary-credentials-expired",
  "session-token-missing",
  "presigned-expiry-too-long",
  "server-clock-wrong",
  "access-key-disabled",
  "unknown",
] as const;

/** What was pasted, by shape (README.md lists what each covers). */
const KINDS = [
  "xml-body",
  "json-body",
  "curl-i",
  "curl-v",
  "one-line",
  "log-line",
  "aws-sdk-js-v3",
  "aws-sdk-js-v2",
  "botocore",
  "aws-cli",
  "go-sdk",
  "java-sdk",
  "dotnet-sdk",
  "azure-sdk",
  "storage-explorer",
  "google-auth",
  "gcloud-gsutil",
  "other-client",
] as const;

interface CorpusCase {
  id: string;
  file: string;
  provider: string;
  expected: string;
  /** False for failures that are not signature failures at all (404, policy denials): expected `unknown`. */
  signatureFailure: boolean;
  kind: string;
  source: string;
  basedOn: string;
  reason: string;
  seed?: string;
}

interface Manifest {
  /** The clock the command runs with: the pastes are dated around it. */
  corpusNow: string;
  cases: CorpusCase[];
}

interface Answer {
  cause: string;
  confidence: string;
  /** Why there is no real answer: the input was not read, or the run failed. */
  note?: string;
}

type Verdict = "match" | "unknown" | "wrong-low" | "confidently-wrong";

interface Counts {
  match: number;
  unknown: number;
  wrongLow: number;
  confidentlyWrong: number;
}

interface Baseline {
  cases: number;
  cli: Counts;
  core: Counts;
}

interface Row {
  case: CorpusCase;
  cli: Answer;
  core: Answer;
}

const manifest = JSON.parse(readFileSync(path("./cases.json"), "utf8")) as Manifest;
const corpusNow = Date.parse(manifest.corpusNow);

/** `skewguard doctor error --json -` in-process, the pasted text on standard input. */
async function viaCli(text: string): Promise<Answer> {
  let stdout = "";
  let stderr = "";
  const code = await run(["node", "skewguard", "doctor", "error", "--json", "-"], {
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: false },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: false },
    stdin: Readable.from([Buffer.from(text)]),
    env: {},
    clock: { now: () => corpusNow },
    sleep: async () => {},
    fetch: async () => {
      throw new Error("doctor error must not touch the network");
    },
    readFile: async () => {
      throw new Error("the corpus pipes every case on standard input");
    },
  });
  if (code === 2) return { cause: "unknown", confidence: "-", note: "unreadable (exit 2)" };
  try {
    const report = JSON.parse(stdout) as { diagnosis?: { cause?: unknown; confidence?: unknown } };
    const cause = report.diagnosis?.cause;
    const confidence = report.diagnosis?.confidence;
    if (typeof cause !== "string") throw new Error("no diagnosis.cause");
    return { cause, confidence: typeof confidence === "string" ? confidence : "-" };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { cause: "unknown", confidence: "-", note: `exit ${code}, ${why} ${stderr}`.trim() };
  }
}

/** The core's own entry point for pasted text: the judge `doctor error` prints. */
function viaCore(text: string): Answer {
  try {
    const result = diagnosePasted(text);
    if (!result) return { cause: "unknown", confidence: "-", note: "unreadable" };
    return { cause: result.diagnosis.cause, confidence: result.diagnosis.confidence };
  } catch (error) {
    return { cause: "unknown", confidence: "-", note: `threw: ${String(error)}` };
  }
}

/** Confidently wrong: a named cause that is not the true one, at medium or high confidence. */
function judge(expected: string, answer: Answer): Verdict {
  if (answer.cause === expected) return "match";
  if (answer.cause === "unknown") return "unknown";
  return answer.confidence === "low" ? "wrong-low" : "confidently-wrong";
}

function count(verdicts: readonly Verdict[]): Counts {
  const of = (v: Verdict) => verdicts.filter((x) => x === v).length;
  return {
    match: of("match"),
    unknown: of("unknown"),
    wrongLow: of("wrong-low"),
    confidentlyWrong: of("confidently-wrong"),
  };
}

const MARK: Readonly<Record<Verdict, string>> = {
  match: "ok",
  unknown: "??",
  "wrong-low": "x ",
  "confidently-wrong": "XX",
};

function shown(answer: Answer, verdict: Verdict): string {
  const note = answer.note ? ` [${answer.note}]` : "";
  const confidence = answer.confidence === "-" ? "" : ` (${answer.confidence})`;
  return `${MARK[verdict]} ${answer.cause}${confidence}${note}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

function totalsLine(label: string, counts: Counts, total: number): string {
  return `${pad(label, 6)} match ${counts.match}/${total} (${percent(counts.match, total)}), unknown ${counts.unknown}, wrong at low confidence ${counts.wrongLow}, confidently wrong ${counts.confidentlyWrong}`;
}

/** Expected cause down, the command's answer across. */
function matrix(rows: readonly Row[]): string[] {
  const answers = [...new Set(rows.map((r) => r.cli.cause))].sort();
  const expected = CAUSES.filter((c) => rows.some((r) => r.case.expected === c));
  const width = Math.max(...expected.map((c) => c.length)) + 2;
  const cell = (text: string, name: string) => text.padStart(Math.max(name.length, 3) + 1);
  const header = `${pad("expected \\ cli", width)}${answers.map((a) => cell(a, a)).join("")}`;
  const lines = expected.map((e) => {
    const cells = answers.map((a) => {
      const n = rows.filter((r) => r.case.expected === e && r.cli.cause === a).length;
      return cell(n === 0 ? "." : String(n), a);
    });
    return `${pad(e, width)}${cells.join("")}`;
  });
  return [header, ...lines];
}

function render(rows: readonly Row[], cli: Counts, core: Counts, baseline: Baseline): string {
  const out: string[] = [];
  const total = rows.length;
  out.push(
    `Diagnosis corpus: ${total} cases (ok = match, ?? = unknown, x = wrong at low confidence, XX = confidently wrong)`,
  );
  out.push("");
  out.push(`${pad("id", 5)}${pad("kind", 17)}${pad("expected", 30)}${pad("cli", 44)}core`);
  for (const row of rows) {
    const { id, kind, expected } = row.case;
    out.push(
      `${pad(id, 5)}${pad(kind, 17)}${pad(expected, 30)}${pad(shown(row.cli, judge(expected, row.cli)), 44)}${shown(row.core, judge(expected, row.core))}`,
    );
  }
  out.push("");
  out.push("Not matched by the CLI (expected <- got: why the expected cause is the truth):");
  for (const row of rows) {
    const verdict = judge(row.case.expected, row.cli);
    if (verdict === "match") continue;
    out.push(
      `  ${row.case.id} ${MARK[verdict]} ${row.case.expected} <- ${row.cli.cause}${row.cli.note ? ` [${row.cli.note}]` : ` (${row.cli.confidence})`}: ${row.case.reason}`,
    );
  }
  const disagreements = rows.filter((r) => r.cli.cause !== r.core.cause);
  if (disagreements.length > 0) {
    out.push("");
    out.push("CLI and core disagree:");
    for (const r of disagreements)
      out.push(`  ${r.case.id}: cli ${r.cli.cause}, core ${r.core.cause}`);
  }
  out.push("");
  out.push("Confusion matrix (CLI):");
  for (const line of matrix(rows)) out.push(`  ${line}`);
  out.push("");
  out.push(totalsLine("cli", cli, total));
  out.push(totalsLine("core", core, total));
  const unread = (pick: (r: Row) => Answer) => rows.filter((r) => pick(r).note !== undefined);
  const unreadCli = unread((r) => r.cli);
  out.push(
    `${pad("", 6)}unreadable (counted as unknown): cli ${unreadCli.length}, core ${unread((r) => r.core).length}; of the cli matches on expected-unknown cases, ${unreadCli.filter((r) => r.case.expected === "unknown").length} are unreadable inputs, not judgements`,
  );
  out.push(
    `${pad("base", 6)}cli match >= ${baseline.cli.match}, confidently wrong <= ${baseline.cli.confidentlyWrong}; core match >= ${baseline.core.match}, confidently wrong <= ${baseline.core.confidentlyWrong}`,
  );
  out.push(
    `target: match >= 85% (${Math.ceil(0.85 * total)}/${total}) and no confidently wrong answer: ${cli.match >= 0.85 * total && cli.confidentlyWrong === 0 ? "met" : "not met"}`,
  );
  return out.join("\n");
}

describe("diagnosis corpus", () => {
  it("the manifest lists every case file once, with a known cause, kind and a one-line reason", () => {
    const files = readdirSync(path("./cases")).filter((f) => f.endsWith(".txt"));
    const listed = manifest.cases.map((c) => c.file);
    expect(new Set(listed).size).toBe(listed.length);
    expect(new Set(manifest.cases.map((c) => c.id)).size).toBe(manifest.cases.length);
    expect([...listed].sort()).toEqual(files.map((f) => `cases/${f}`).sort());
    expect(Number.isFinite(corpusNow)).toBe(true);
    for (const c of manifest.cases) {
      expect(c.file, c.id).toMatch(new RegExp(`^cases/${c.id}-[a-z0-9-]+\\.txt$`));
      expect(CAUSES as readonly string[], c.id).toContain(c.expected);
      expect(KINDS as readonly string[], c.id).toContain(c.kind);
      expect(c.reason.trim(), c.id).not.toBe("");
      expect(c.reason, c.id).not.toContain("\n");
      expect(c.source.trim(), c.id).not.toBe("");
      expect(c.basedOn.trim(), c.id).not.toBe("");
      expect(typeof c.signatureFailure, c.id).toBe("boolean");
      // A failure that is not a signature failure has no signature cause.
      if (!c.signatureFailure) expect(c.expected, c.id).toBe("unknown");
      if (c.seed !== undefined) expect(c.seed, c.id).toMatch(/^\d{3}_[0-9a-f]{16}\.txt$/);
    }
  });

  it("no case carries anything shaped like a real credential", () => {
    for (const c of manifest.cases) {
      const text = readFileSync(path(`./${c.file}`), "utf8");
      // AWS key ids only as the documentation's examples.
      for (const id of text.match(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g) ?? []) {
        expect(id, c.id).toMatch(/EXAMPLE$/);
      }
      expect(text, c.id).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*/); // a JWT
      expect(text, c.id).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
      expect(text, c.id).not.toMatch(/(?:aws_secret_access_key|AccountKey)\s*[=:]\s*\S{20,}/i);
      // SAS signatures only redacted or as obvious placeholders.
      for (const sig of text.match(/[?&]sig=[^&\s'"]+/g) ?? []) {
        expect(sig, c.id).toMatch(/REDACTED|EXAMPLE/);
      }
    }
  });

  it("prints the confusion table; matches may not drop, confident wrong answers may not rise (baseline.json)", async () => {
    const rows: Row[] = [];
    for (const c of manifest.cases) {
      const text = readFileSync(path(`./${c.file}`), "utf8");
      rows.push({ case: c, cli: await viaCli(text), core: viaCore(text) });
    }
    const cli = count(rows.map((r) => judge(r.case.expected, r.cli)));
    const core = count(rows.map((r) => judge(r.case.expected, r.core)));
    const baselinePath = path("./baseline.json");
    const baseline = JSON.parse(readFileSync(baselinePath, "utf8")) as Baseline;
    // The table is the point of this test: print it whatever happens next.
    console.log(render(rows, cli, core, baseline));

    if (UPDATE_BASELINE) {
      const next: Baseline = { cases: rows.length, cli, core };
      writeFileSync(baselinePath, `${JSON.stringify(next, null, 2)}\n`);
      console.log(`baseline.json updated: ${JSON.stringify(next)}`);
      return;
    }
    if (PRINT_ONLY) return;
    expect(cli.match, "CLI matches fell below baseline.json").toBeGreaterThanOrEqual(
      baseline.cli.match,
    );
    expect(
      cli.confidentlyWrong,
      "CLI confidently wrong answers rose above baseline.json",
    ).toBeLessThanOrEqual(baseline.cli.confidentlyWrong);
    expect(core.match, "core matches fell below baseline.json").toBeGreaterThanOrEqual(
      baseline.core.match,
    );
    expect(
      core.confidentlyWrong,
      "core confidently wrong answers rose above baseline.json",
    ).toBeLessThanOrEqual(baseline.core.confidentlyWrong);
  }, 120_000);
});
