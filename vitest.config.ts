import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, entry = "index") =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

/**
 * `@skewguard/*` to their TypeScript sources. Exact matches: "@skewguard/diagnosis" must not
 * swallow "@skewguard/diagnosis/adapter".
 */
export const sourceAliases = [
  { find: /^@skewguard\/diagnosis\/adapter$/, replacement: pkg("diagnosis", "adapter") },
  { find: /^@skewguard\/diagnosis\/engine$/, replacement: pkg("diagnosis", "engine") },
  { find: /^@skewguard\/diagnosis$/, replacement: pkg("diagnosis") },
  { find: /^@skewguard\/testkit$/, replacement: pkg("testkit") },
  { find: /^@skewguard\/aws\/adapter$/, replacement: pkg("aws", "adapter") },
  { find: /^@skewguard\/aws$/, replacement: pkg("aws") },
  { find: /^@skewguard\/aws-s3$/, replacement: pkg("aws-s3") },
  { find: /^@skewguard\/azure-blob$/, replacement: pkg("azure-blob") },
  { find: /^@skewguard\/gcs$/, replacement: pkg("gcs") },
  { find: /^@skewguard\/cli$/, replacement: pkg("cli") },
  { find: /^@skewguard\/otel$/, replacement: pkg("otel") },
];

// Tests run against the TypeScript sources, so the suite needs no build; the packed
// artefacts are checked separately by scripts/check-packages.mjs. `npm test` runs this on
// each supported Node; vitest.min.config.ts runs part of it on the lowest SDK versions.
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // The minimum-versions leg's own check runs in that leg only (vitest.min.config.ts).
    exclude: ["**/node_modules/**", "test/min-versions/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
