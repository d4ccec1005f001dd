import { describe, expect, it } from "vitest";
import {
  S3_HUGE_ERROR_BODY_BYTES,
  activeFault,
  faultyErrorBody,
  runawaySkewError,
  takeFault,
} from "./s3-faults.js";

const XML = '<?xml version="1.0"?><Error><Code>RequestTimeTooSkewed</Code></Error>';

describe("S3 test server faults", () => {
  it("always-skewed: ServerTime is always aheadMs past what the request claimed", () => {
    const error = runawaySkewError(
      { kind: "always-skewed", aheadMs: 3_600_000 },
      "20261123T100000Z",
      0,
    );
    expect(error.code).toBe("RequestTimeTooSkewed");
    expect(error.fields).toContainEqual(["RequestTime", "20261123T100000Z"]);
    expect(error.fields).toContainEqual(["ServerTime", "2026-11-23T11:00:00Z"]);
  });

  it("huge-error-body pads to the size asked, the evidence first; truncated cuts the document", () => {
    const huge = faultyErrorBody({ kind: "huge-error-body" }, XML);
    expect(huge.length).toBe(S3_HUGE_ERROR_BODY_BYTES);
    expect(huge.startsWith(XML.slice(0, XML.lastIndexOf("</")))).toBe(true);
    expect(huge.endsWith("</Padding></Error>")).toBe(true);
    const cut = faultyErrorBody({ kind: "truncated-error-body" }, XML);
    expect(XML.startsWith(cut)).toBe(true);
    expect(cut.length).toBe(Math.floor(XML.length / 2));
    expect(faultyErrorBody(undefined, XML)).toBe(XML);
  });

  it("a fault given `times` applies to that many requests, then stops", () => {
    const active = activeFault({ kind: "stall" }, 2);
    expect([takeFault(active), takeFault(active), takeFault(active)]).toEqual([
      { kind: "stall" },
      { kind: "stall" },
      undefined,
    ]);
    expect(takeFault(activeFault(undefined))).toBeUndefined();
  });
});
