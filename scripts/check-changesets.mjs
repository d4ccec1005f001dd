// Checks the release bookkeeping without git history (CI runs on a fresh clone of main, where
// `changeset status` has no base to compare with): every publishable package has a CHANGELOG.md
// that its tarball ships and is in the one fixed group of .changeset/config.json, and every
// pending changeset names publishable packages only, with a bump the 0.x policy allows (README.md,
// "Versioning": `major` only for 1.0.0).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const problems = [];
const publishable = readdirSync(join(root, "packages"))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")),
  }))
  .filter(({ manifest }) => !manifest.private);
const names = new Set(publishable.map(({ manifest }) => manifest.name));

const config = JSON.parse(readFileSync(join(root, ".changeset", "config.json"), "utf8"));
const fixed = new Set(config.fixed.flat());
if (config.fixed.length !== 1) problems.push(".changeset/config.json: expected one fixed group");
for (const { dir, manifest } of publishable) {
  if (!fixed.has(manifest.name))
    problems.push(`${manifest.name} is not in the fixed group of .changeset/config.json`);
  let changelog = "";
  try {
    changelog = readFileSync(join(root, "packages", dir, "CHANGELOG.md"), "utf8");
  } catch {
    problems.push(`packages/${dir}/CHANGELOG.md is missing`);
  }
  if (changelog && !changelog.startsWith(`# ${manifest.name}\n`))
    problems.push(`packages/${dir}/CHANGELOG.md does not start with "# ${manifest.name}"`);
  if (!manifest.files?.includes("CHANGELOG.md"))
    problems.push(`packages/${dir}/package.json: "files" does not ship CHANGELOG.md`);
}
for (const name of fixed)
  if (!names.has(name)) problems.push(`the fixed group names ${name}, not a publishable package`);

const pending = readdirSync(join(root, ".changeset")).filter(
  (file) => file.endsWith(".md") && file !== "README.md",
);
const zeroX = publishable.every(({ manifest }) => manifest.version.startsWith("0."));
for (const file of pending) {
  const text = readFileSync(join(root, ".changeset", file), "utf8");
  const front = /^---\n([\s\S]*?)\n---\n+\S/.exec(text);
  if (!front) {
    problems.push(`.changeset/${file}: no front matter followed by a summary`);
    continue;
  }
  for (const entry of front[1].split("\n").filter((l) => l.trim())) {
    const match = /^"([^"]+)":\s*(major|minor|patch)$/.exec(entry.trim());
    if (!match) problems.push(`.changeset/${file}: cannot read "${entry}"`);
    else if (!names.has(match[1]))
      problems.push(`.changeset/${file}: ${match[1]} is not a publishable package`);
    else if (zeroX && match[2] === "major")
      problems.push(
        `.changeset/${file}: "major" on 0.x releases 1.0.0; a breaking change is "minor"`,
      );
  }
}

for (const problem of problems) console.log(`FAIL ${problem}`);
if (problems.length > 0) process.exitCode = 1;
else
  console.log(
    `ok   changesets: ${publishable.length} packages in one fixed group, each with a shipped CHANGELOG.md; ${pending.length} pending changesets well-formed`,
  );
