// Typechecks every TypeScript (and JavaScript) code block of the READMEs against the BUILT
// packages, as a user's project sees them. Run by the test command after the build.
//
// - Each ```ts block becomes two modules, compiled together in one TypeScript program
//   (`module: nodenext`, `strict`, `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes`,
//   `skipLibCheck` as most projects set it): one in a folder with `"type": "module"` (ESM, the
//   block as written, top-level await included) and one in a CommonJS folder, where the `import`s
//   stay at the top and the rest of the block is wrapped in an `async function` (CommonJS has no
//   top-level await). ```js blocks (the examples' "code you write", `.mjs` there) are checked as
//   ESM JavaScript (`checkJs`).
// - `@skewguard/*` resolve to packages/<name> through their package.json `exports` (the dist
//   `.d.ts` for `import`, `.d.cts` for `require`), every other import to the copy the workspace
//   installed (node_modules of a package or example). Nothing is declared for a block but what a
//   reader is expected to supply (a bucket name, a key, a client they already have):
//   scripts/readme-snippets/reader-supplies.d.ts, whose declarations start each module (those of
//   the names it does not declare itself), so their SDK types resolve in that module's format.
//   Anything else must be imported by the block.
// - `<!-- snippet: continues -->` before a block compiles it after the previous block of the same
//   README (see scripts/readme-blocks.mjs).
//
// `--keep` leaves the generated project in place and prints where it is.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { realpathSync, readdirSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { allBlocks, root } from "./readme-blocks.mjs";

const startedAt = Date.now();
const keep = process.argv.includes("--keep");
const DECLARATIONS = "scripts/readme-snippets/reader-supplies.d.ts";

const COMPILER_OPTIONS = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2023"],
  types: ["node"],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  allowJs: true,
  checkJs: true,
  skipLibCheck: true,
  noEmit: true,
};

/** One generated line: its text and the README line it comes from (none for scaffolding). */
const line = (text, source) => ({ text, source });

/** The lines of a block, after those of the blocks it continues. */
function chainLines(block) {
  const own = block.code
    .split("\n")
    .map((text, i) => line(text, { file: block.file, line: block.line + i }));
  return block.previous ? [...chainLines(block.previous), ...own] : own;
}

/** The names a piece of code declares at its top level (imports included). */
function topLevelNames(source) {
  const names = new Set();
  const bind = (name) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else
      for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    else if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const element of bindings.elements) names.add(element.name.text);
    } else if (statement.name && ts.isIdentifier(statement.name)) names.add(statement.name.text);
  }
  return names;
}

/**
 * What a reader supplies, as declarations local to each generated module (so each resolves its
 * types in its own module format): name -> lines, from the declarations file.
 */
function readerSupplies(text) {
  const source = ts.createSourceFile(DECLARATIONS, text, ts.ScriptTarget.ES2022);
  const supplies = new Map();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) throw new Error(`${DECLARATIONS}: only declare const`);
    const first = source.getLineAndCharacterOfPosition(statement.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(statement.getEnd()).line;
    const lines = text
      .split("\n")
      .slice(first, last + 1)
      .map((t, i) => line(t, { file: DECLARATIONS, line: first + i + 1 }));
    for (const declaration of statement.declarationList.declarations)
      supplies.set(declaration.name.getText(source), lines);
  }
  return supplies;
}

/**
 * One module per block and mode. ESM: the code as written. CommonJS: the import declarations
 * first, the rest inside an async function (no top-level await in CommonJS). Both start with the
 * reader-supplied declarations of the names the block does not declare itself. Each generated
 * line keeps the README (or declarations) line it came from.
 */
function generate(block, mode, supplies) {
  const lines = chainLines(block);
  const source = ts.createSourceFile(
    "block.ts",
    lines.map((l) => l.text).join("\n"),
    ts.ScriptTarget.ES2022,
  );
  const own = topLevelNames(source);
  let declarations = [...supplies].filter(([name]) => !own.has(name)).flatMap(([, l]) => l);
  // JavaScript has no `declare`: the same declaration as a JSDoc type on a constant.
  if (block.lang === "js")
    declarations = declarations.map(({ text, source: from }) => {
      const match = /^declare const (\w+): (.*?);(\s*\/\/.*)?$/.exec(text);
      return line(
        match
          ? `/** @type {${match[2]}} */ const ${match[1]} = /** @type {any} */ (null);${match[3] ?? ""}`
          : text,
        from,
      );
    });
  if (mode === "esm") return [...declarations, ...lines, line("export {};")];
  const importLines = new Set();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isImportEqualsDeclaration(statement)) continue;
    const first = source.getLineAndCharacterOfPosition(statement.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(statement.getEnd()).line;
    for (let i = first; i <= last; i++) importLines.add(i);
  }
  return [
    ...lines.filter((_, i) => importLines.has(i)),
    ...declarations,
    line("export async function snippet(): Promise<void> {"),
    ...lines.filter((_, i) => !importLines.has(i)),
    line("}"),
  ];
}

/** Bare package names a piece of code imports (`node:` and other built-ins left out). */
function importedPackages(code) {
  const names = new Set();
  for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"'./][^"']*)["']/g)) {
    if (isBuiltin(spec)) continue;
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
  }
  return names;
}

const workspaceDirs = ["packages", "examples"]
  .flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, dir, entry.name))
      .sort(),
  )
  .concat([join(root, "test"), root]);

/** Where a package is: a workspace package by its manifest name, else the first install found. */
function locate(name) {
  for (const dir of workspaceDirs.slice(0, -2)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === name)
      return dir;
  }
  for (const dir of workspaceDirs) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error(`README code imports ${name}, which no workspace package installs`);
}

const blocks = allBlocks();
for (const block of blocks)
  if (block.runsIn && !existsSync(join(root, block.runsIn)))
    throw new Error(`${block.file}:${block.line}: runs in ${block.runsIn}, which does not exist`);
const work = mkdtempSync(join(tmpdir(), "skewguard-snippets-"));
try {
  // The project: node_modules links, ESM and CommonJS folders, one tsconfig over both.
  const declarations = readFileSync(join(root, DECLARATIONS), "utf8");
  const packages = new Set(["@types/node", ...importedPackages(declarations)]);
  for (const block of blocks) for (const name of importedPackages(block.code)) packages.add(name);
  for (const name of packages) {
    const link = join(work, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(locate(name), link, "dir");
  }
  const generated = new Map(); // path -> lines
  for (const [folder, type] of [
    ["esm", "module"],
    ["cjs", "commonjs"],
  ]) {
    mkdirSync(join(work, folder));
    writeFileSync(join(work, folder, "package.json"), JSON.stringify({ type }));
  }
  const supplies = readerSupplies(declarations);
  for (const block of blocks) {
    const name = `${block.file.replace(/\/README\.md$/, "").replace(/\W+/g, "-")}-${block.line}`;
    if (block.lang === "ts") {
      generated.set(join(work, "esm", `${name}.ts`), generate(block, "esm", supplies));
      generated.set(join(work, "cjs", `${name}.ts`), generate(block, "cjs", supplies));
    } else {
      generated.set(join(work, "esm", `${name}.js`), generate(block, "esm", supplies));
    }
  }
  for (const [path, lines] of generated)
    writeFileSync(path, `${lines.map((l) => l.text).join("\n")}\n`);
  const files = [...generated.keys()];
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files }, null, 2),
  );

  const config = ts.parseJsonConfigFileContent(
    { compilerOptions: COMPILER_OPTIONS, files },
    ts.sys,
    work,
  );
  if (config.errors.length > 0)
    throw new Error(ts.formatDiagnostics(config.errors, ts.createCompilerHost({})));
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const diagnostics = ts.getPreEmitDiagnostics(program);

  // Report each problem once, at its README line, with the modes it shows in.
  const problems = new Map();
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ");
    let where = "(global)";
    let mode = "";
    if (diagnostic.file) {
      const path = diagnostic.file.fileName;
      const { line: at, character } = diagnostic.file.getLineAndCharacterOfPosition(
        diagnostic.start ?? 0,
      );
      mode = relative(work, path).split("/")[0];
      const lines = generated.get(path);
      const source = lines?.[at]?.source;
      if (source) where = `${source.file}:${source.line}:${character + 1}`;
      else where = `${relative(work, path)}:${at + 1}`;
    }
    const key = `${where} TS${diagnostic.code}: ${message}`;
    problems.set(key, [...(problems.get(key) ?? []), mode]);
  }
  for (const [key, modes] of problems) console.log(`FAIL ${key} [${[...new Set(modes)]}]`);

  const tsBlocks = blocks.filter((b) => b.lang === "ts").length;
  const readmes = new Set(blocks.map((b) => b.file)).size;
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (problems.size > 0) {
    process.exitCode = 1;
    console.log(
      `FAIL README snippets: ${problems.size} problems in ${blocks.length} blocks (${seconds} s)`,
    );
  } else {
    console.log(
      `ok   README snippets: ${tsBlocks} TypeScript blocks as ESM and CommonJS, ${blocks.length - tsBlocks} JavaScript blocks as ESM, from ${readmes} READMEs, typecheck against the built packages (${seconds} s)`,
    );
  }
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
