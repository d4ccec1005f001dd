import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { SkewguardError, isSkewguardError } from "./errors.js";

describe("SkewguardError", () => {
  it("carries a stable code and its cause", () => {
    const cause = new Error("boom");
    const e = new SkewguardError(
      "SKEWGUARD_UNSUPPORTED_CLIENT",
      "could not read the server clock",
      {
        cause,
      },
    );
    expect(e.code).toBe("SKEWGUARD_UNSUPPORTED_CLIENT");
    expect(e.cause).toBe(cause);
    expect(e.name).toBe("SkewguardError");
    expect(isSkewguardError(e)).toBe(true);
  });

  it("recognises an error branded in another realm, and nothing else", () => {
    const foreign = runInNewContext(
      'const e = new Error("x"); e[Symbol.for("skewguard.error")] = true; e.code = "SKEWGUARD_INVALID_OPTION"; e',
    );
    expect(foreign instanceof SkewguardError).toBe(false);
    expect(isSkewguardError(foreign)).toBe(true);
    expect(isSkewguardError(new Error("x"))).toBe(false);
    expect(isSkewguardError(null)).toBe(false);
    expect(isSkewguardError({ code: "SKEWGUARD_INVALID_OPTION" })).toBe(false);
  });
});
