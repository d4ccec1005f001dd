// The rule that makes a package's browser build: a module with a `.browser.ts` twin beside it
// (`xml-document.ts` and `xml-document.browser.ts`) is replaced by the twin. Used by the
// packages' browser builds (tsup) and by the browser tests' page bundles (esbuild), so both
// make the same swap.
import { existsSync } from "node:fs";
import { join } from "node:path";

/** An esbuild plugin resolving `./name.js` to `./name.browser.ts` where that file exists. */
export const browserTwins = {
  name: "browser-twins",
  setup(build) {
    build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
      const twin = join(args.resolveDir, args.path.replace(/\.js$/, ".browser.ts"));
      return existsSync(twin) ? { path: twin } : undefined;
    });
  },
};
