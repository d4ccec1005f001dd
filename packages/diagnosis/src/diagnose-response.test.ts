import { describe, expect, it } from "vitest";
import { diagnoseResponse } from "./diagnose-response.js";

describe("diagnoseResponse", () => {
  it("names the clock from S3's own RequestTimeTooSkewed, headers in any shape", () => {
    const d = diagnoseResponse({
      provider: "s3",
      status: 403,
      headers: new Headers({ Date: "Mon, 23 Nov 2026 10:20:00 GMT" }),
      body: "<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20261123T100000Z</RequestTime><ServerTime>2026-11-23T10:20:00Z</ServerTime></Error>",
      sentAt: Date.parse("2026-11-23T10:00:00Z"),
      receivedAt: Date.parse("2026-11-23T10:00:00.050Z"),
    });
    expect(d.cause).toBe("clock-behind");
    expect(d.confidence).toBe("high");
  });

  it("says unknown, and what it checked, for a bare 403", () => {
    const d = diagnoseResponse({ provider: "azure", status: 403 });
    expect(d.cause).toBe("unknown");
    expect(d.checked.length).toBeGreaterThan(0);
  });
});
