// The public API of every publishable package, as API Extractor sees its built .d.ts files,
// checked in as packages/<dir>/api/<entry>.api.md: one report per entry of the package's
// `exports` map ("." is `index`, "./adapter" is `adapter`). A change to what a package exports
// then shows up in review as a change to its report.
//
//   node scripts/api-report.mjs           check: fail if a report differs from the build
//   node scripts/api-report.mjs --update  write the reports
//
// Run after the build (`pnpm -r --filter "./packages/*" run build`): the reports are made from
// dist/, as users get the types.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const root = fileURLToPath(new URL("..", import.meta.url));
const packagesDir = join(root, "packages");
const update = process.argv.includes("--update");
const unknown = process.argv.slice(2).filter((arg) => arg !== "--update");
if (unknown.length > 0) {
  console.error(`usage: node scripts/api-report.mjs [--update]  (unknown: ${unknown.join(" ")})`);
  process.exit(2);
}
const UPDATE_COMMAND = "npx -y pnpm@10 api:update";
// API Extractor brings its own compiler (TypeScript 6.0 in 7.60); the repo's TypeScript gives
// it the lib typings (lib.es2023.d.ts, ...) the packages were built against.
const typescriptCompilerFolder = dirname(
  fileURLToPath(import.meta.resolve("typescript/package.json")),
);

// Only a change to the API fails the check: release tags, TSDoc style and undocumented items
// are not this project's conventions, and a type the API uses without exporting it is shown
// in the report itself (includeForgottenExports), so a change to it is seen there.
const messages = {
  compilerMessageReporting: { default: { logLevel: "error" } },
  extractorMessageReporting: {
    default: { logLevel: "none", addToApiReportFile: false },
    "ae-wrong-input-file-type": { logLevel: "error" },
  },
  tsdocMessageReporting: { default: { logLevel: "none", addToApiReportFile: false } },
};

/** Every entry of a package's exports map with the .d.ts its ESM `import` condition names. */
function entriesOf(manifest, folder) {
  const exportsMap =
    typeof manifest.exports === "string" || manifest.exports?.["import"]
      ? { ".": manifest.exports }
      : (manifest.exports ?? {});
  const entries = [];
  for (const [subpath, target] of Object.entries(exportsMap)) {
    if (subpath === "./package.json") continue;
    if (subpath.includes("*")) throw new Error(`${manifest.name}: subpath pattern ${subpath}`);
    const types =
      typeof target?.import === "object" ? target.import.types : (target?.types ?? undefined);
    if (typeof types !== "string") {
      throw new Error(`${manifest.name}: exports["${subpath}"] has no import.types`);
    }
    const name = subpath === "." ? "index" : subpath.replace(/^\.\//, "").replaceAll("/", "-");
    entries.push({ subpath, name, types: join(folder, types) });
  }
  return entries;
}

/**
 * The report without API Extractor's notes on documentation ("(undocumented)", "No
 * @packageDocumentation comment"): a doc comment added or removed is not an API change.
 */
function withoutDocMarkers(report) {
  return report
    .replace(/^\/\/ \(No @packageDocumentation comment for this package\)\n\n/m, "")
    .replace(/^[ \t]*\/\/ \(undocumented\)\n/gm, "")
    .replace(/^([ \t]*\/\/ .*\S) \(undocumented\)$/gm, "$1");
}

/** How many names the entry exports (a function's overloads are one name). */
function exportedNames(compilerState, file) {
  const checker = compilerState.program.getTypeChecker();
  const module = checker.getSymbolAtLocation(compilerState.program.getSourceFile(file));
  return module ? checker.getExportsOfModule(module).length : 0;
}

/** A line diff with three lines of context around each change. */
function unifiedDiff(before, after, fromLabel, toLabel) {
  const a = before.split("\n");
  const b = after.split("\n");
  // Longest common subsequence, table from the end so the walk below goes forwards.
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  // Each op: kind, line, and the 1-based numbers of the next old and new lines before it.
  while (i < a.length || j < b.length) {
    const at = [i + 1, j + 1];
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push([" ", a[i], ...at]);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push(["-", a[i++], ...at]);
    } else ops.push(["+", b[j++], ...at]);
  }
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  const context = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k][0] === " ") {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while the next change is within two contexts of the last.
    for (let m = k; m < ops.length; m++) {
      if (ops[m][0] !== " ") end = m;
      else if (m - end > 2 * context) break;
    }
    end = Math.min(ops.length - 1, end + context);
    const hunk = ops.slice(start, end + 1);
    const [, , oldStart, newStart] = hunk[0];
    const oldCount = hunk.filter((op) => op[0] !== "+").length;
    const newCount = hunk.filter((op) => op[0] !== "-").length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const [op, line] of hunk) out.push(`${op}${line}`);
    k = end + 1;
  }
  return out.join("\n");
}

/** Every publishable package with its entries (missing builds reported, not analysed). */
function packagesWithEntries() {
  const found = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const folder = join(packagesDir, dir);
    const manifestPath = join(folder, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (manifest.private) continue;
    found.push({ dir, folder, manifestPath, manifest, entries: entriesOf(manifest, folder) });
  }
  return found;
}

function extractorConfig(pkg, entry, outFolder, allTypes) {
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder: pkg.folder,
      mainEntryPointFilePath: entry.types,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            lib: ["ES2023"],
            types: ["node"],
            strict: true,
            skipLibCheck: true,
          },
          files: allTypes,
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder: outFolder,
        reportTempFolder: join(outFolder, "temp"),
        includeForgottenExports: true,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: "lf",
      messages,
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: pkg.manifestPath,
  });
}

const temp = mkdtempSync(join(tmpdir(), "skewguard-api-"));
let failures = 0;
try {
  const packages = packagesWithEntries();
  const built = packages.flatMap((pkg) => pkg.entries).filter((entry) => existsSync(entry.types));
  const allTypes = built.map((entry) => entry.types);
  // One compiler program for every entry: the packages share most of their type graph.
  let compilerState;
  for (const pkg of packages) {
    const apiFolder = join(pkg.folder, "api");
    for (const entry of pkg.entries) {
      const reportFile = `${entry.name}.api.md`;
      const label = `${pkg.manifest.name} ${entry.subpath}`;
      const checkedIn = join(apiFolder, reportFile);
      if (!existsSync(entry.types)) {
        failures++;
        console.log(`FAIL ${label}: ${relative(root, entry.types)} is missing; build first:`);
        console.log(`     npx -y pnpm@10 -r --filter "./packages/*" run build`);
        continue;
      }
      const outFolder = join(temp, pkg.dir, entry.name);
      const config = extractorConfig(pkg, entry, outFolder, allTypes);
      compilerState ??= CompilerState.create(config, { typescriptCompilerFolder });
      const problems = [];
      const result = Extractor.invoke(config, {
        localBuild: true,
        compilerState,
        typescriptCompilerFolder,
        messageCallback: (message) => {
          message.handled = true;
          // Its own progress notes ("console-*": report created, updated) are not findings.
          const finding = message.category !== "console" || message.logLevel === "error";
          if (finding && (message.logLevel === "error" || message.logLevel === "warning")) {
            problems.push(message.formatMessageWithLocation(pkg.folder));
          }
        },
      });
      if (!result.succeeded || problems.length > 0) {
        failures++;
        console.log(`FAIL ${label}: API Extractor reported problems`);
        for (const problem of problems) console.log(`     ${problem}`);
        continue;
      }
      const report = withoutDocMarkers(readFileSync(join(outFolder, reportFile), "utf8"));
      const names = exportedNames(compilerState, entry.types);
      const previous = existsSync(checkedIn) ? readFileSync(checkedIn, "utf8") : undefined;
      const where = relative(root, checkedIn);
      if (previous === report) {
        console.log(`ok   ${label}: ${names} exported names (${where})`);
      } else if (update) {
        mkdirSync(apiFolder, { recursive: true });
        writeFileSync(checkedIn, report);
        const verb = previous === undefined ? "new " : "upd ";
        console.log(`${verb} ${label}: ${names} exported names (${where})`);
      } else {
        failures++;
        if (previous === undefined) {
          console.log(`FAIL ${label}: no checked-in report ${where}`);
        } else {
          console.log(`FAIL ${label}: the public API differs from ${where}`);
          console.log(unifiedDiff(previous, report, `${where} (checked in)`, `${where} (build)`));
        }
      }
    }
    // A report whose entry is gone from the exports map.
    const expected = new Set(pkg.entries.map((entry) => `${entry.name}.api.md`));
    const stale = existsSync(apiFolder)
      ? readdirSync(apiFolder).filter((file) => file.endsWith(".api.md") && !expected.has(file))
      : [];
    for (const file of stale) {
      const where = relative(root, join(apiFolder, file));
      if (update) {
        unlinkSync(join(apiFolder, file));
        console.log(`del  ${pkg.manifest.name}: ${where} (no such entry in exports)`);
      } else {
        failures++;
        console.log(`FAIL ${pkg.manifest.name}: ${where} reports an entry exports no longer has`);
      }
    }
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
if (failures > 0) {
  console.log(`\n${failures} API report check(s) failed. If the API change is intended, run`);
  console.log(`  ${UPDATE_COMMAND}`);
  console.log("and commit the reports with the change.");
  process.exit(1);
}
