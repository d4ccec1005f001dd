import { describe, expect, it } from "vitest";
import * as gcs from "./index.js";

describe("@skewguard/gcs exports", () => {
  it("only the documented API: the V4 signer and the hooks stay internal", () => {
    expect(Object.keys(gcs).sort()).toEqual([
      "SkewguardError",
      "diagnoseSignedUrlResponse",
      "diagnosisOf",
      "generateSignedPostPolicyV4",
      "getSignedUrl",
      "isSkewguardError",
      "withSkewRecovery",
    ]);
  });
});
