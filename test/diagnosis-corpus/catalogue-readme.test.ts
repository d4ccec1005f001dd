import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CATALOGUE } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";

/** The README's catalogue section is the catalogue for people: every cause, with its evidence. */
describe("the README's catalogue section", () => {
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const start = readme.indexOf("## The diagnosis catalogue");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));

  it("lists every cause of the core's catalogue, each on a row with its evidence", () => {
    expect(start).toBeGreaterThanOrEqual(0);
    for (const cause of Object.keys(CATALOGUE)) {
      const row = section.split("\n").find((line) => line.startsWith(`| \`${cause}\``));
      expect(row, cause).toBeDefined();
      // cause | evidence | first fix | dead end
      expect(row!.split("|").length, cause).toBe(6);
      expect(row!.split("|")[2]!.trim().length, cause).toBeGreaterThan(20);
    }
  });

  it("and the core gives every cause evidence, fixes and the check that confirms it", () => {
    for (const [cause, entry] of Object.entries(CATALOGUE)) {
      expect(entry.evidence.length, cause).toBeGreaterThan(20);
      expect(entry.fixes.length, cause).toBeGreaterThan(0);
      if (cause !== "unknown") expect(entry.check.length, cause).toBeGreaterThan(20);
    }
  });
});
