// Checks every publishable package as users will get it: publint on the package folder and
// "are the types wrong" on its packed tarball (ESM and CJS entry points, both with types).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
const bin = (name) => join(root, "node_modules", ".bin", name);
let failed = 0;

for (const dir of readdirSync(packagesDir)) {
  const folder = join(packagesDir, dir);
  const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  if (manifest.private) continue;
  for (const [tool, args] of [
    ["publint", ["--strict", "--pack", "npm", folder]],
    ["attw", ["--pack", folder, "--profile", "node16", "--format", "table-flipped"]],
  ]) {
    try {
      execFileSync(bin(tool), args, { stdio: "pipe", cwd: folder });
      console.log(`ok   ${tool} ${manifest.name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${tool} ${manifest.name}`);
      console.log(String(error.stdout ?? ""), String(error.stderr ?? ""));
    }
  }
}
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
