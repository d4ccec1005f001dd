// Installs every package as users get it: `pnpm pack` (workspace ranges become versions), then
// - each package alone in a fresh project, with the one command the README gives
//   (scripts/tarballs.mjs: its tarball and those of the `@skewguard/*` packages it depends on;
//   npm adds the SDK peer), imported from ESM and from CJS there;
// - all of them with the SDK peers at the versions the suite tests in one more fresh project,
//   each imported from ESM and from CJS and its README snippet run from there against testkit
//   servers with skewed clocks (scripts/readme-<pkg>-snippet.mjs: the README block marked
//   `<!-- snippet: runs in scripts/readme-<pkg>-snippet.mjs -->`, as written, between what the
//   reader supplies and the checks; the CLI's is its `doctor error` command).
// Run by the test command after the build. Packs, installs, imports and snippets run concurrently.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { installCommand, packAll, publishedPackages } from "./tarballs.mjs";

const root = new URL("..", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "skewguard-install-"));
const tarballs = join(work, "tarballs");
const startedAt = Date.now();

/** Peers at the versions the suite tests (test/package.json), as a user would add them. */
const PEERS = [
  "@aws-sdk/client-s3@3.1178.0",
  "@aws-sdk/client-dynamodb@3.1178.0",
  "@aws-sdk/client-sts@3.1178.0",
  "@azure/storage-blob@12.34.0",
  "@google-cloud/storage@8.4.0",
  "@opentelemetry/api@1.10.0",
];

/** The README snippet of each installed package, in the order their lines are printed. */
const SNIPPETS = [
  ["@skewguard/aws", "readme-aws-snippet.mjs"],
  ["@skewguard/aws-s3", "readme-s3-snippet.mjs"],
  ["@skewguard/azure-blob", "readme-azure-blob-snippet.mjs"],
  ["@skewguard/azure-blob", "readme-azure-blob-paths-snippet.mjs"],
  ["@skewguard/gcs", "readme-gcs-snippet.mjs"],
  ["@skewguard/cli", "readme-cli-snippet.mjs"],
  ["@skewguard/diagnosis", "readme-diagnosis-snippet.mjs"],
  ["@skewguard/otel", "readme-otel-snippet.mjs"],
];

/**
 * Packages users install. The testkit is not among them: its Azurite dependency would make the
 * install several times longer, and the snippets start its servers from the repository's build.
 */
const published = publishedPackages().filter(
  ({ manifest }) => manifest.name !== "@skewguard/testkit",
);

const execFileAsync = promisify(execFile);

/** Runs a command without blocking, so several run at once; rejects with its stderr. */
async function run(cmd, args, cwd, timeout = 120_000) {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd, encoding: "utf8", timeout });
    return stdout;
  } catch (error) {
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${[error.stdout, error.stderr].join("\n").trim() || error.message}`,
    );
  }
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Imports `name` in `project` from ESM and from CJS: its export count, the same in both. */
async function importBoth(name, project) {
  const [esm, cjs] = await Promise.all([
    run(
      "node",
      [
        "--input-type=module",
        "-e",
        `import * as m from "${name}"; console.log(Object.keys(m).length)`,
      ],
      project,
    ),
    run("node", ["-e", `console.log(Object.keys(require("${name}")).length)`], project),
  ]);
  if (Number(esm) === 0 || Number(esm) !== Number(cjs))
    throw new Error(`${name}: ESM exports ${esm.trim()}, CJS ${cjs.trim()}`);
  return Number(esm);
}

/** A fresh project directory with a bare package.json. */
function freshProject(name) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "fresh-user-project", private: true }),
  );
  return dir;
}

/** The README's command for one package, run as given in a fresh project; then its imports. */
async function installAlone({ manifest }) {
  const project = freshProject(`alone-${manifest.name.replace(/\W+/g, "-")}`);
  const [cmd, ...args] = installCommand(manifest.name, tarballs, published);
  const started = Date.now();
  await run(cmd, [...args, "--no-audit", "--no-fund", "--loglevel=error"], project, 300_000);
  const exports = await importBoth(manifest.name, project);
  const files = args.filter((a) => a.endsWith(".tgz")).length;
  return `ok   ${manifest.name} alone: npm install of its ${files} tarball(s) (${seconds(Date.now() - started)}), ${exports} exports from ESM and from CJS`;
}

try {
  await packAll(tarballs, published);
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  const missing = SNIPPETS.filter(([name]) => !published.some((p) => p.manifest.name === name));
  const unchecked = published.filter(
    ({ manifest }) => !SNIPPETS.some(([n]) => n === manifest.name),
  );
  if (missing.length > 0 || unchecked.length > 0) {
    throw new Error(
      `snippets and packages disagree: no package for ${missing.map(([n]) => n).join(", ") || "-"}; no snippet for ${unchecked.map((p) => p.manifest.name).join(", ") || "-"}`,
    );
  }
  const alone = Promise.allSettled(published.map(installAlone));
  const project = freshProject("project");
  const installStart = Date.now();
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files, ...PEERS],
    project,
    300_000,
  );
  console.log(
    `ok   npm install of ${files.length} packed packages and ${PEERS.length} SDK peers (${seconds(Date.now() - installStart)})`,
  );

  const imports = await Promise.all(
    published.map(
      async ({ manifest }) =>
        `ok   ${manifest.name}: ${await importBoth(manifest.name, project)} exports from ESM and from CJS`,
    ),
  );
  for (const line of imports) console.log(line);
  for (const result of await alone) {
    if (result.status === "fulfilled") console.log(result.value);
    else {
      console.log(`FAIL ${result.reason.message}`);
      process.exitCode = 1;
    }
  }

  // Each snippet script starts its own testkit server and runs the user code in a child.
  const results = await Promise.allSettled(
    SNIPPETS.map(([, file]) => run("node", [join(root, "scripts", file), project], root)),
  );
  results.forEach((result, i) => {
    const [name] = SNIPPETS[i];
    if (result.status === "fulfilled")
      console.log(`ok   README snippet of ${name}: ${result.value.trim()}`);
    else console.log(`FAIL README snippet of ${name}: ${result.reason.message}`);
  });
  if (results.some((result) => result.status === "rejected")) process.exitCode = 1;
  console.log(
    `${process.exitCode ? "FAIL" : "ok  "} check-install in ${seconds(Date.now() - startedAt)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
