import { describe, expect, it } from "vitest";
import { authenticationFailed } from "./azure-errors.js";
import { HUGE_ERROR_BODY_BYTES, faultyErrorBody } from "./azure-proxy-faults.js";

const NOW = Date.parse("2026-11-23T10:00:00Z");
const { body } = authenticationFailed(NOW, "Request date header too old: 'x'", "PUT");

describe("faultyErrorBody", () => {
  it("leaves the body alone by default and when empty (a HEAD)", () => {
    expect(faultyErrorBody(body, undefined)).toBe(body);
    expect(faultyErrorBody(body, "intact")).toBe(body);
    expect(faultyErrorBody("", "huge")).toBe("");
  });

  it("cuts the body in the middle, so it is no longer well-formed XML", () => {
    const cut = faultyErrorBody(body, "truncated");
    expect(cut.length).toBe(Math.floor(body.length / 2));
    expect(body.startsWith(cut)).toBe(true);
    expect(cut).not.toContain("</Error>");
  });

  it("pads inside <Error> to exactly 10 MiB, keeping the real elements first", () => {
    const huge = faultyErrorBody(body, "huge");
    expect(Buffer.byteLength(huge)).toBe(HUGE_ERROR_BODY_BYTES);
    expect(huge.startsWith(body.slice(0, body.lastIndexOf("</Error>")))).toBe(true);
    expect(huge.endsWith("</Padding></Error>")).toBe(true);
  });
});
