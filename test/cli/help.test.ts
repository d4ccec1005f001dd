import { describe, expect, it } from "vitest";
import { skewguard } from "./helpers.js";

describe("skewguard --help", () => {
  it("teaches: every command's help has examples and the exit codes; exit 0", async () => {
    const top = await skewguard(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Exit codes: 0 healthy, 1 a problem was found, 2 usage error.");
    expect(top.stdout).toContain("$ skewguard skew s3.eu-west-1.amazonaws.com");
    for (const command of [["doctor", "url"], ["doctor", "error"], ["skew"]]) {
      const help = await skewguard([...command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Examples:");
      expect(help.stdout).toContain(`$ skewguard ${command.join(" ")} `);
      expect(help.stdout).toContain("--json");
    }
  });

  it("no command, or an unknown one: help or a message on stderr, exit 2", async () => {
    const none = await skewguard([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: skewguard");
    const unknown = await skewguard(["doktor"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'doktor'");
    expect(unknown.stderr).toContain("(Did you mean doctor?)");
  });

  it("--version prints the version, exit 0", async () => {
    const result = await skewguard(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
