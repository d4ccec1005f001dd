import { defineConfig } from "tsup";
import { browserTwins } from "../../scripts/browser-twins.mjs";

/**
 * The browser build (`dist/browser`, picked by the `browser` export condition): the same
 * sources, with each module that has a `.browser.ts` twin replaced by it (`xml-document.ts` ->
 * `xml-document.browser.ts`: the browser's DOMParser instead of fast-xml-parser, so a page
 * does not carry an XML parser of its own).
 */
export default defineConfig({
  entry: ["src/index.ts", "src/adapter.ts"],
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  outDir: "dist/browser",
  sourcemap: true,
  dts: false,
  clean: false,
  esbuildPlugins: [browserTwins],
});
