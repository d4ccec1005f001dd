import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources, so the suite needs no build; the packed
// artefacts are checked separately by scripts/check-packages.mjs.
export default defineConfig({
  resolve: {
    alias: {
      "@skewguard/diagnosis": pkg("diagnosis"),
      "@skewguard/testkit": pkg("testkit"),
      "@skewguard/aws-s3": pkg("aws-s3"),
      "@skewguard/azure-blob": pkg("azure-blob"),
      "@skewguard/gcs": pkg("gcs"),
      "@skewguard/cli": pkg("cli"),
      "@skewguard/otel": pkg("otel"),
    },
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
