// The TypeScript code blocks of the READMEs, as scripts/check-readme-snippets.mjs typechecks them
// and the scripts/readme-<pkg>-snippet.mjs scripts run them. A block may be preceded by an HTML
// comment, invisible once rendered, that says how it is used:
//
//   <!-- snippet: continues -->                          the block goes on from the previous one
//                                                        in the same README (it uses its variables)
//   <!-- snippet: runs in scripts/readme-s3-snippet.mjs -->  that script runs this block as written
//
// Several directives may share one comment, separated by ";".
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const root = new URL("..", import.meta.url).pathname;

/** The READMEs whose code blocks are checked, relative to the repository root. */
export function readmeFiles() {
  const inDirs = (dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}/README.md`)
      .filter((file) => {
        try {
          readFileSync(join(root, file));
          return true;
        } catch {
          return false;
        }
      })
      .sort();
  return ["README.md", ...inDirs("packages"), ...inDirs("examples")];
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([\w-]*)/;
const LANGUAGES = { ts: "ts", typescript: "ts", js: "js", javascript: "js" };

/**
 * Every ts/typescript/js/javascript fenced block of one README: `{ file, line, lang, code,
 * continues, runsIn, previous }`, `line` being the 1-based line of the block's first code line
 * and `previous` the block it continues, if any.
 */
export function readmeBlocks(file) {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(fence)) end++;
    const lang = LANGUAGES[info.toLowerCase()];
    if (lang) {
      const directives = directivesBefore(lines, i);
      const block = {
        file,
        line: i + 2,
        lang,
        code: lines
          .slice(i + 1, end)
          .map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text))
          .join("\n"),
        continues: directives.includes("continues"),
        runsIn: directives.find((d) => d.startsWith("runs in "))?.slice("runs in ".length),
        previous: undefined,
      };
      if (block.continues) {
        block.previous = blocks.at(-1);
        if (!block.previous) throw new Error(`${file}:${i + 1}: "continues" with no block before`);
      }
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

/** The directives of a `<!-- snippet: ... -->` comment on the last non-blank line before `i`. */
function directivesBefore(lines, i) {
  let j = i - 1;
  while (j >= 0 && lines[j].trim() === "") j--;
  const match = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/.exec(lines[j] ?? "");
  return match ? match[1].split(";").map((d) => d.trim()) : [];
}

/** Every block of every README. */
export function allBlocks() {
  return readmeFiles().flatMap(readmeBlocks);
}

/**
 * The one block marked `runs in scripts/<script>`, with the blocks it continues before it.
 * Throws unless exactly one block is marked, so a README edit cannot silently stop a run.
 */
export function blockRunIn(script) {
  const marked = allBlocks().filter((block) => block.runsIn === `scripts/${script}`);
  if (marked.length !== 1)
    throw new Error(
      `${marked.length} README blocks are marked "<!-- snippet: runs in scripts/${script} -->"; expected 1`,
    );
  return marked[0];
}

/** A block's code after that of the blocks it continues. */
export function chainCode(block) {
  return block.previous ? `${chainCode(block.previous)}\n${block.code}` : block.code;
}

/**
 * The code of a block as it runs: the README's lines, with each `[from, to]` replacement applied
 * (the only differences from what the reader sees, such as a test endpoint). Each `from` must
 * occur exactly once, so the README cannot drift from what is run.
 */
export function adaptBlock(block, replacements = []) {
  let code = chainCode(block);
  for (const [from, to] of replacements) {
    const count = code.split(from).length - 1;
    if (count !== 1)
      throw new Error(
        `${block.file}:${block.line}: expected ${JSON.stringify(from)} once in the README block, found it ${count} times`,
      );
    code = code.replace(from, () => to);
  }
  return code;
}
