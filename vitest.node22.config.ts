import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The second leg (Node 22): the newest SDK majors, installed under npm aliases in test/node22.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/node22/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
  },
});
