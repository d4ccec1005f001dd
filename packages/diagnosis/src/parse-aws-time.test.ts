import { describe, expect, it } from "vitest";
import { readAwsTimeComplaint } from "./parse-aws-time.js";

describe("readAwsTimeComplaint", () => {
  it("reads both clocks and the window from 'Signature expired'", () => {
    expect(
      readAwsTimeComplaint(
        "Signature expired: 20231020T101500Z is now earlier than 20231020T102501Z (20231020T103001Z - 5 min.)",
      ),
    ).toEqual({
      requestTimeMs: Date.parse("2023-10-20T10:15:00Z"),
      serverTimeMs: Date.parse("2023-10-20T10:30:01Z"),
      windowMs: 300_000,
      kind: "expired",
    });
  });

  it("reads 'Signature not yet current' inside other text", () => {
    const read = readAwsTimeComplaint(
      "InvalidSignatureException: Signature not yet current: 20261207T105805Z is still later than 20261207T103502Z (20261207T103002Z + 5 min.)\n    at ...",
    );
    expect(read?.kind).toBe("not-yet-current");
    expect(read?.requestTimeMs).toBe(Date.parse("2026-12-07T10:58:05Z"));
    expect(read?.serverTimeMs).toBe(Date.parse("2026-12-07T10:30:02Z"));
  });

  it("is undefined for anything else, and for impossible dates", () => {
    expect(readAwsTimeComplaint("Signature expired")).toBeUndefined();
    expect(readAwsTimeComplaint(undefined)).toBeUndefined();
    expect(
      readAwsTimeComplaint(
        "Signature expired: 20231320T101500Z is now earlier than 20231020T102501Z (20231020T103001Z - 5 min.)",
      ),
    ).toBeUndefined();
  });
});
