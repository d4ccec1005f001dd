// What skewguard adds to a web page, measured as users' bundlers would build it: esbuild for the
// browser (the `browser` export condition), minified, then gzip -9. Printed by
// check-packages.mjs, which fails when the core + AWS plugin exceeds its ceilings.
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
/** A folder whose node_modules resolve the packages and the SDK as a user's app would. */
const appDir = `${root}packages/aws-s3`;

/** The target for what a page loads up front with the core + AWS plugin, min+gzip. */
export const TARGET_BYTES = 15 * 1024;

/** Growth past this, up front, fails the package checks: what it is now, plus a little room. */
export const CEILING_BYTES = 13 * 1024;

/** Growth past this, up front and on the first failure together, fails them too. */
export const TOTAL_CEILING_BYTES = 34 * 1024;

/**
 * Minified and gzipped sizes of a page entry, split as a bundler splits it: `eager` is the
 * entry and every chunk it imports statically (what the page loads), `lazy` the chunks it
 * only reaches through `import()` (skewguard's failure path, fetched at the first failed
 * request). Each file is gzipped on its own, as a server sends it. `external` packages are
 * left out of the count.
 */
async function pageBytes(contents, external = []) {
  const result = await build({
    stdin: { contents, resolveDir: appDir, loader: "js" },
    bundle: true,
    minify: true,
    splitting: true,
    outdir: "/page",
    platform: "browser",
    format: "esm",
    write: false,
    external,
    logLevel: "silent",
    metafile: true,
  });
  const sizes = new Map(
    result.outputFiles.map((file) => [
      file.path,
      { min: file.contents.length, gzip: gzipSync(file.contents, { level: 9 }).length },
    ]),
  );
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint === "<stdin>");
  // Output paths in the metafile are relative to the working directory; files are absolute.
  const sizeOf = (path) => sizes.get(resolve(path)) ?? { min: 0, gzip: 0 };
  const eagerFiles = new Set();
  const visit = (path) => {
    if (eagerFiles.has(path) || !outputs[path]) return;
    eagerFiles.add(path);
    for (const { path: next, kind } of outputs[path].imports) {
      if (kind === "import-statement") visit(next);
    }
  };
  visit(entry);
  const tally = (paths) =>
    paths.reduce(
      (sum, path) => ({
        minBytes: sum.minBytes + sizeOf(path).min,
        gzipBytes: sum.gzipBytes + sizeOf(path).gzip,
      }),
      { minBytes: 0, gzipBytes: 0 },
    );
  const code = Object.keys(outputs).filter((path) => path.endsWith(".js"));
  const nodeImports = Object.keys(result.metafile.inputs).filter((path) =>
    path.startsWith("node:"),
  );
  return {
    eager: tally([...eagerFiles]),
    lazy: tally(code.filter((path) => !eagerFiles.has(path))),
    nodeImports,
  };
}

const minus = (a, b) => ({
  minBytes: a.minBytes - b.minBytes,
  gzipBytes: a.gzipBytes - b.gzipBytes,
});

/**
 * `plugin`: `@skewguard/aws`'s plugin with the core, the AWS SDK itself left out (every page
 * using the plugin has an SDK client already). `s3Share`: a page with an S3 client, PutObject,
 * GetObject and a presigner, with skewguard's plugin and presigner minus the same page with the
 * SDK's presigner alone. Each as `eager` and `lazy` (see `pageBytes`).
 */
export async function measureBrowserBundles() {
  const plugin = await pageBytes('export { getSkewRecoveryPlugin } from "@skewguard/aws";', [
    "@smithy/*",
    "@aws-sdk/*",
  ]);
  const sdkPage = await pageBytes(`
    export { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
    export { getSignedUrl } from "@aws-sdk/s3-request-presigner";`);
  const withSkewguard = await pageBytes(`
    export { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
    export { getSignedUrl, getSkewRecoveryPlugin } from "@skewguard/aws-s3";`);
  return {
    plugin,
    s3Share: {
      eager: minus(withSkewguard.eager, sdkPage.eager),
      lazy: minus(withSkewguard.lazy, sdkPage.lazy),
      nodeImports: withSkewguard.nodeImports,
    },
  };
}

export function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** One line: up front, then on the first failure. */
export function describe({ eager, lazy }) {
  return `${kb(eager.gzipBytes)} min+gzip up front (${kb(eager.minBytes)} min), ${kb(lazy.gzipBytes)} more at the first failure (${kb(lazy.minBytes)} min)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { plugin, s3Share } = await measureBrowserBundles();
  console.log(`core + @skewguard/aws plugin: ${describe(plugin)}`);
  console.log(`skewguard's share of an S3 page: ${describe(s3Share)}`);
}
