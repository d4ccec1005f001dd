// Biome is the linter and formatter; ESLint runs only the few rules that need type information
// (a promise nobody awaits, a promise where a void callback is expected), over the files the
// root tsconfig.json includes, type-checked as one program with that tsconfig's paths.
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig([
  // Plain JavaScript has no types for these rules to use.
  { ignores: ["**/dist/**", "**/coverage/**", "**/.tmp/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  {
    files: ["packages/*/src/**/*.ts", "test/**/*.ts", "examples/**/*.ts", "*.config.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
]);
