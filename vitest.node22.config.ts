import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// The second leg (Node 22): the newest SDK majors, installed under npm aliases in test/node22.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ["test/node22/**/*.test.ts"],
      exclude: ["**/node_modules/**"],
    },
  }),
  true,
);
