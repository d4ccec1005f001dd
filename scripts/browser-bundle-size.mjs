// What skewguard adds to a web page, measured as users' bundlers would build it: esbuild for the
// browser (the `browser` export condition), minified, then gzip -9. Printed by
// check-packages.mjs, which fails when the core + AWS plugin exceeds the budget.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
/** A folder whose node_modules resolve the packages and the SDK as a user's app would. */
const appDir = `${root}packages/aws-s3`;

/** The target for core + AWS plugin, min+gzip: not met yet (29.4 KB when this was written). */
export const TARGET_BYTES = 15 * 1024;

/** Growth past this fails the package checks: what it is now, plus a little room. */
export const CEILING_BYTES = 31 * 1024;

/** Minified and gzipped size of a page entry; `external` packages are left out of the count. */
async function pageBytes(contents, external = []) {
  const result = await build({
    stdin: { contents, resolveDir: appDir, loader: "js" },
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    write: false,
    external,
    logLevel: "silent",
    metafile: true,
  });
  const code = result.outputFiles[0].contents;
  const nodeImports = Object.keys(result.metafile.inputs).filter((path) =>
    path.startsWith("node:"),
  );
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, nodeImports };
}

/**
 * `plugin`: `@skewguard/aws`'s plugin with the core, the AWS SDK itself left out (every page
 * using the plugin has an SDK client already). `s3Share`: a page with an S3 client, PutObject,
 * GetObject and a presigner, with skewguard's plugin and presigner minus the same page with the
 * SDK's presigner alone.
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
      minBytes: withSkewguard.minBytes - sdkPage.minBytes,
      gzipBytes: withSkewguard.gzipBytes - sdkPage.gzipBytes,
      nodeImports: withSkewguard.nodeImports,
    },
  };
}

export function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { plugin, s3Share } = await measureBrowserBundles();
  console.log(
    `core + @skewguard/aws plugin: ${kb(plugin.gzipBytes)} min+gzip (${kb(plugin.minBytes)} min)`,
  );
  console.log(
    `skewguard's share of an S3 page: ${kb(s3Share.gzipBytes)} min+gzip (${kb(s3Share.minBytes)} min)`,
  );
}
