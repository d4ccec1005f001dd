import { readdirSync } from "node:fs";
import { defineConfig } from "tsup";

/** Source modules that ship: everything but tests, fixtures and the browser twins themselves. */
const modules = readdirSync("src").filter(
  (name) => name.endsWith(".ts") && !/\.(test|fixture|browser)\.ts$/.test(name),
);
const twins = new Set(readdirSync("src").filter((name) => name.endsWith(".browser.ts")));

/**
 * The browser build (`dist/browser`, picked by the `browser` export condition): one file per
 * source module, not bundled, so a page's bundler sees the modules themselves. It then leaves
 * out what the page does not use and puts the failure path (`failure-path.ts`, loaded with
 * `import()`) in a chunk of its own, fetched only when a request fails; a prebuilt bundle
 * would tie that code to the modules loaded up front. A module with a `.browser.ts` twin is
 * built from the twin (`xml-document.browser.ts`: the browser's DOMParser instead of
 * fast-xml-parser, so a page does not carry an XML parser of its own).
 */
export default defineConfig({
  entry: Object.fromEntries(
    modules.map((name) => {
      const base = name.replace(/\.ts$/, "");
      const twin = `${base}.browser.ts`;
      return [base, `src/${twins.has(twin) ? twin : name}`];
    }),
  ),
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  outDir: "dist/browser",
  bundle: false,
  sourcemap: true,
  dts: false,
  clean: false,
});
