// Installs every package as users get it: `pnpm pack` (workspace ranges become versions),
// plain `npm install` of the tarballs and the SDK peers into a fresh temporary project, then
// imports each from ESM and from CJS and runs the README's S3 snippet against a testkit server
// with a skewed clock. Run by the test command after the build.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
const work = mkdtempSync(join(tmpdir(), "skewguard-install-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");

/** Peers at the versions the Node 20 suite tests, as a user would add them. */
const PEERS = [
  "@aws-sdk/client-s3@3.1169.0",
  "@azure/storage-blob@12.32.0",
  "@google-cloud/storage@7.22.0",
  "@opentelemetry/api@1.10.0",
];

/** Packages users install (the testkit is installed too: users start its servers in tests). */
const published = readdirSync(packagesDir)
  .map((dir) => ({
    dir: join(packagesDir, dir),
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8")),
  }))
  .filter(({ manifest }) => !manifest.private && manifest.name !== "@skewguard/testkit");

function run(cmd, args, cwd, extra = {}) {
  return execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    ...extra,
  });
}

try {
  execFileSync("mkdir", ["-p", tarballs, project]);
  for (const { dir } of published)
    run("npx", ["-y", "pnpm@10", "pack", "--pack-destination", tarballs], dir);
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "fresh-user-project", private: true }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files, ...PEERS],
    project,
  );
  console.log(`ok   npm install of ${files.length} packed packages and ${PEERS.length} SDK peers`);

  for (const { manifest } of published) {
    const name = manifest.name;
    const esm = run(
      "node",
      [
        "--input-type=module",
        "-e",
        `import * as m from "${name}"; console.log(Object.keys(m).length)`,
      ],
      project,
    );
    const cjs = run("node", ["-e", `console.log(Object.keys(require("${name}")).length)`], project);
    if (Number(esm) === 0 || Number(esm) !== Number(cjs))
      throw new Error(`${name}: ESM exports ${esm.trim()}, CJS ${cjs.trim()}`);
    console.log(`ok   ${name}: ${esm.trim()} exports from ESM and from CJS`);
  }

  const snippet = join(root, "scripts", "readme-s3-snippet.mjs");
  const out = run("node", [snippet, project], root, { timeout: 60_000 });
  console.log(`ok   README S3 snippet from the installed packages: ${out.trim()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
