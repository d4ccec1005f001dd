import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "./run.js";

describe("VERSION", () => {
  it("is package.json's version (--version must not lie)", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});
