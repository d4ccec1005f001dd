import { INVALID_JWT_TIME } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { main } from "../../examples/gcs-resumable-upload/main.mjs";

const KIB256 = 256 * 1024;

describe("examples/gcs-resumable-upload", () => {
  it("bare: refused before a byte leaves; wrapped: 2 grants, a dropped chunk resumed from 256 KiB, bytes identical", async () => {
    const printed: string[] = [];
    const summary = await main({ print: (line) => printed.push(line) });
    const chunk = 2 * KIB256;

    expect(summary.bare).toEqual({
      outcome: "failed",
      error: `invalid_grant: ${INVALID_JWT_TIME}`,
      storedEqual: false,
      grants: [400],
      uploads: [],
    });
    expect(summary.wrapped).toMatchObject({
      outcome: "succeeded",
      storedEqual: true,
      grants: [400, 200],
      uploads: [
        { request: "initiate", status: 200, contentRange: undefined },
        { request: "chunk", status: "dropped", contentRange: `bytes 0-${chunk - 1}/*` },
        { request: "query", status: 308, contentRange: "bytes */*" },
        { request: "chunk", status: 308, contentRange: `bytes ${KIB256}-${KIB256 + chunk - 1}/*` },
        {
          request: "chunk",
          status: 308,
          contentRange: `bytes ${KIB256 + chunk}-${KIB256 + 2 * chunk - 1}/*`,
        },
        {
          request: "chunk",
          status: 200,
          contentRange: `bytes ${KIB256 + 2 * chunk}-${summary.size - 1}/${summary.size}`,
        },
      ],
      events: ["skew.detected", "skew.corrected", "request.resigned", "request.recovered"],
    });
    expect(Math.abs((summary.wrapped.learnedOffsetMs ?? 0) - summary.skewMs)).toBeLessThan(2_000);
    // A custom endpoint: createWriteStream's session goes without a token (401); the one
    // createResumableUpload opens carries it, and the upload completes on its URI.
    expect(summary.customEndpoint).toMatchObject({
      directError: "Invalid Credentials",
      outcome: "succeeded",
      storedEqual: true,
      uploads: [
        { request: "initiate", status: 401 },
        { request: "initiate", status: 200 },
        { request: "query", status: 308 },
        { request: "chunk", status: 200 },
      ],
    });

    const text = printed.join("\n");
    expect(text).toContain("failed: invalid_grant: Invalid JWT");
    expect(text).toContain("2 token grant request(s) (400, 200), 6 upload request(s)");
    expect(text).toMatch(
      /request\.recovered +token\.grant, offset \+(19\.9\d|20\.0\d) min, attempts 2/,
    );
    expect(text).not.toMatch(/PRIVATE KEY|ya29\.|eyJ[\w-]{10,}\./);
  });
});
