// Packs the packages as users install them, and says how to install each one from its tarballs.
//
//   node scripts/tarballs.mjs <dir>     (after the build: `npx -y pnpm@10 build`)
//
// packs every published package into <dir> (`pnpm pack`: `workspace:*` becomes the exact
// version) and prints, for each, the one `npm install` command that installs it into another
// project together with the tarballs of the `@skewguard/*` packages it depends on (npm adds a
// missing SDK peer by itself). scripts/check-install.mjs runs each command in a fresh project.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
const execFileAsync = promisify(execFile);

/** The packages that are published: `{ dir, manifest }` of each non-private one. */
export function publishedPackages() {
  return readdirSync(packagesDir)
    .map((dir) => ({
      dir: join(packagesDir, dir),
      manifest: JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8")),
    }))
    .filter(({ manifest }) => !manifest.private);
}

/** The tarball `pnpm pack` writes for a manifest: `@scope/name` 1.2.3 -> `scope-name-1.2.3.tgz`. */
export const tarballName = (manifest) =>
  `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;

/** Packs `packages` (default: every published one) into `dest`; rejects with pnpm's output. */
export async function packAll(dest, packages = publishedPackages()) {
  mkdirSync(dest, { recursive: true });
  await Promise.all(
    packages.map(async ({ dir, manifest }) => {
      try {
        await execFileAsync("npx", ["-y", "pnpm@10", "pack", "--pack-destination", dest], {
          cwd: dir,
          encoding: "utf8",
          timeout: 120_000,
        });
      } catch (error) {
        throw new Error(`pnpm pack of ${manifest.name} failed:\n${error.stderr || error.message}`);
      }
    }),
  );
}

/**
 * The tarballs one package needs, in `dir`: its own, then those of the `@skewguard/*` packages
 * it depends on, transitively.
 */
export function tarballsOf(name, dir, packages = publishedPackages()) {
  const byName = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
  const needed = [];
  const visit = (current) => {
    if (needed.includes(current)) return;
    const manifest = byName.get(current);
    if (!manifest) throw new Error(`${current} is not a published package`);
    needed.push(current);
    for (const dependency of Object.keys(manifest.dependencies ?? {}))
      if (dependency.startsWith("@skewguard/")) visit(dependency);
  };
  visit(name);
  return needed.map((n) => join(dir, tarballName(byName.get(n))));
}

/** The one command that installs `name` from the tarballs in `dir`: `["npm", "install", ...]`. */
export const installCommand = (name, dir, packages) => [
  "npm",
  "install",
  ...tarballsOf(name, dir, packages),
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const dest = process.argv[2];
  if (!dest) {
    console.error("usage: node scripts/tarballs.mjs <dir>");
    process.exit(2);
  }
  const dir = resolve(dest);
  const packages = publishedPackages();
  await packAll(dir, packages);
  console.log(`Packed ${packages.length} packages into ${dir}. To install one in your project:`);
  for (const { manifest } of packages)
    console.log(
      `  ${manifest.name}:\n    ${installCommand(manifest.name, dir, packages).join(" ")}`,
    );
}
