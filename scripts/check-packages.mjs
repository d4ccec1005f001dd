// Checks every publishable package as users will get it: publint on the package folder and
// "are the types wrong" on its packed tarball (ESM and CJS entry points, both with types); then
// what the core + AWS plugin weigh in a browser bundle, up front and at the first failure
// (the failure path is a chunk of its own), which must hold no `node:` import.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CEILING_BYTES,
  describe,
  kb,
  measureBrowserBundles,
  TARGET_BYTES,
  TOTAL_CEILING_BYTES,
} from "./browser-bundle-size.mjs";

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
const { plugin, s3Share } = await measureBrowserBundles();
const upFront = plugin.eager.gzipBytes;
const total = upFront + plugin.lazy.gzipBytes;
const overBudget = upFront > CEILING_BYTES || total > TOTAL_CEILING_BYTES;
const target = upFront <= TARGET_BYTES ? "target met" : "target not met";
console.log(
  `${overBudget ? "FAIL" : "ok  "} browser bundle: core + @skewguard/aws plugin ${describe(plugin)} (ceilings ${kb(CEILING_BYTES)} up front, ${kb(TOTAL_CEILING_BYTES)} in all; target ${kb(TARGET_BYTES)} up front: ${target})`,
);
console.log(
  `     browser bundle: skewguard's share of an S3 page (client, presigner, plugin) ${describe(s3Share)}`,
);
if (overBudget) failed++;
for (const [what, found] of [
  ["core + plugin", plugin.nodeImports],
  ["S3 page", s3Share.nodeImports],
]) {
  if (found.length === 0) continue;
  failed++;
  console.log(`FAIL browser bundle of the ${what} imports ${found.join(", ")}`);
}
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
