import { describe, expect, it } from "vitest";
import { windowImpacts } from "./window-impacts.js";

const MIN = 60_000;

function statuses(offsetMs: number, toleranceMs?: number): Record<string, string> {
  return Object.fromEntries(windowImpacts(offsetMs, toleranceMs).map((w) => [w.id, w.status]));
}

describe("windowImpacts", () => {
  it("an offset under the tolerance harms nothing", () => {
    expect(statuses(2_000)).toEqual({
      "sigv4-headers": "ok",
      "azure-shared-key": "ok",
      "presigned-urls": "ok",
      "azure-sas": "ok",
      "gcs-jwt": "ok",
    });
  });

  it("a clock 20 min behind fails header signatures, grants and presigned URLs; a SAS ends early", () => {
    expect(statuses(20 * MIN)).toEqual({
      "sigv4-headers": "fails",
      "azure-shared-key": "fails",
      "presigned-urls": "fails",
      "azure-sas": "at-risk",
      "gcs-jwt": "fails",
    });
  });

  it("a clock 3 min ahead: a SAS starting now is refused; presigned URLs still work", () => {
    const impacts = windowImpacts(-3 * MIN);
    const byId = Object.fromEntries(impacts.map((w) => [w.id, w]));
    expect(byId["azure-sas"]).toMatchObject({
      status: "fails",
      detail:
        "a SAS made here with st=now is refused for 3m 0s (leave st out, or start it 15 minutes early)",
    });
    expect(byId["presigned-urls"]?.status).toBe("ok");
    expect(byId["sigv4-headers"]).toMatchObject({
      status: "at-risk",
      window: "±15m 0s",
      detail: "accepted; 12m 0s of margin left",
    });
  });

  it("the tolerance is a parameter", () => {
    expect(statuses(30_000, 10_000)["sigv4-headers"]).toBe("at-risk");
    expect(statuses(30_000)["sigv4-headers"]).toBe("ok");
  });
});
