import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, entry = "index") =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

// Tests run against the TypeScript sources, so the suite needs no build; the packed
// artefacts are checked separately by scripts/check-packages.mjs.
export default defineConfig({
  resolve: {
    // Exact matches: "@skewguard/diagnosis" must not swallow "@skewguard/diagnosis/adapter".
    alias: [
      { find: /^@skewguard\/diagnosis\/adapter$/, replacement: pkg("diagnosis", "adapter") },
      { find: /^@skewguard\/diagnosis$/, replacement: pkg("diagnosis") },
      { find: /^@skewguard\/testkit$/, replacement: pkg("testkit") },
      { find: /^@skewguard\/aws\/adapter$/, replacement: pkg("aws", "adapter") },
      { find: /^@skewguard\/aws$/, replacement: pkg("aws") },
      { find: /^@skewguard\/aws-s3$/, replacement: pkg("aws-s3") },
      { find: /^@skewguard\/azure-blob$/, replacement: pkg("azure-blob") },
      { find: /^@skewguard\/gcs$/, replacement: pkg("gcs") },
      { find: /^@skewguard\/cli$/, replacement: pkg("cli") },
      { find: /^@skewguard\/otel$/, replacement: pkg("otel") },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // The newest SDK majors need Node 22: their leg runs with vitest.node22.config.ts.
    exclude: ["**/node_modules/**", "test/node22/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
