import { describe, expect, it } from "vitest";
import { type DiagnoseInput, diagnose } from "./diagnose.js";
import type { ErrorFacts, Observation } from "./types.js";

const NOW = Date.parse("2026-11-23T10:00:00Z");
const MIN = 60_000;

const STS = [
  "AWS4-HMAC-SHA256",
  "20261123T094500Z",
  "20261123/us-east-1/s3/aws4_request",
  "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
].join("\n");

function obs(over: Partial<Observation> = {}): Observation {
  return {
    provider: "s3",
    host: "127.0.0.1:9000",
    sentAt: NOW,
    receivedAt: NOW + 20,
    status: 403,
    headers: {},
    ...over,
  };
}

function run(facts: ErrorFacts, over: Partial<DiagnoseInput> = {}) {
  return diagnose({ observation: obs(), facts, resentOnCorrectedClock: false, ...over });
}

describe("diagnose", () => {
  it("names a clock 15 minutes behind from RequestTimeTooSkewed, with fixes and dead ends", () => {
    const d = run({
      code: "RequestTimeTooSkewed",
      requestTimeMs: NOW - 15 * MIN,
      serverTimeMs: NOW,
      maxAllowedSkewMs: 15 * MIN,
    });
    expect(d.cause).toBe("clock-behind");
    expect(d.confidence).toBe("high");
    expect(d.summary).toContain("15m 0s behind");
    expect(d.evidence).toContainEqual({ name: "skew", value: "+15m 0s" });
    expect(d.fixes.join(" ")).toContain("timedatectl set-ntp true");
    expect(d.deadEnds.join(" ")).toMatch(/Regenerating/);
  });

  it("names a clock ahead", () => {
    expect(
      run({ code: "RequestTimeTooSkewed", requestTimeMs: NOW + 20 * MIN, serverTimeMs: NOW }).cause,
    ).toBe("clock-ahead");
  });

  it("blames the key when the server signed the very string the client did", () => {
    const d = run(
      { code: "SignatureDoesNotMatch", stringToSign: STS },
      { observation: obs({ signed: { stringToSign: STS, signedAtMs: NOW - 15 * MIN + 30 } }) },
    );
    expect(d.cause).toBe("secret-key-mismatch");
    expect(d.confidence).toBe("high");
    expect(d.deadEnds.join(" ")).toMatch(/Retrying/);
  });

  it("blames the key when a resend on the corrected clock failed the same way", () => {
    const d = run(
      { code: "SignatureDoesNotMatch" },
      {
        resentOnCorrectedClock: true,
        estimate: {
          offsetMs: 3 * MIN,
          lowMs: 3 * MIN - 500,
          highMs: 3 * MIN + 500,
          samples: 2,
          updatedAt: NOW,
        },
      },
    );
    expect(d.cause).toBe("secret-key-mismatch");
    expect(d.confidence).toBe("high");
  });

  it("names the region when the scope differs", () => {
    const d = run(
      { code: "SignatureDoesNotMatch", stringToSign: STS.replace("us-east-1", "eu-west-1") },
      { observation: obs({ signed: { stringToSign: STS } }) },
    );
    expect(d.cause).toBe("credential-scope-mismatch");
    expect(d.firstDifference).toEqual({
      field: "scope.region",
      client: "us-east-1",
      server: "eu-west-1",
    });
  });

  it("reads the region from the server's string-to-sign when the client's is unknown", () => {
    const d = run(
      { code: "SignatureDoesNotMatch", stringToSign: STS.replace("us-east-1", "eu-west-1") },
      { observation: obs({ signed: { region: "us-east-1", signedAtMs: NOW - 15 * MIN } }) },
    );
    expect(d.cause).toBe("credential-scope-mismatch");
  });

  it("names the header a proxy rewrote", () => {
    const canonical = [
      "PUT",
      "/b/k",
      "",
      "content-type:text/plain",
      "host:s3",
      "",
      "content-type;host",
      "UNSIGNED-PAYLOAD",
    ].join("\n");
    const d = run(
      {
        code: "SignatureDoesNotMatch",
        stringToSign: STS.replace(/9e0e.*$/, "1111"),
        canonicalRequest: canonical.replace("text/plain", "text/plain; charset=utf-8"),
      },
      { observation: obs({ signed: { stringToSign: STS, canonicalRequest: canonical } }) },
    );
    expect(d.cause).toBe("request-changed");
    expect(d.firstDifference?.field).toBe("header:content-type");
  });

  it("names an algorithm mismatch when the server signed SigV2", () => {
    const d = run(
      {
        code: "SignatureDoesNotMatch",
        stringToSign: "GET\n\n\nMon, 23 Nov 2026 10:00:00 GMT\n/b/k",
      },
      { observation: obs({ signed: { algorithm: "AWS4-HMAC-SHA256" } }) },
    );
    expect(d.cause).toBe("algorithm-mismatch");
  });

  it("names an expired presigned URL and the skew it was signed with", () => {
    const d = run(
      {
        code: "AccessDenied",
        message: "Request has expired",
        expiresSeconds: 900,
        expiresAtMs: NOW - 5 * MIN,
        serverTimeMs: NOW,
      },
      { observation: obs({ presigned: true, signed: { signedAtMs: NOW - 20 * MIN } }) },
    );
    expect(d.cause).toBe("presigned-expired");
    expect(d.summary).toContain("20m 0s behind");
    expect(d.fixes[0]).toMatch(/getSignedUrl/);
  });

  it("names a SAS that is not valid yet", () => {
    const d = run({
      code: "AuthenticationFailed",
      detail:
        "Signature not valid in the specified time frame: Start [Mon, 23 Nov 2026 10:20:00 GMT] - Expiry [Mon, 23 Nov 2026 11:20:00 GMT] - Current [Mon, 23 Nov 2026 10:00:00 GMT]",
      startsAtMs: NOW + 20 * MIN,
      expiresAtMs: NOW + 80 * MIN,
      serverTimeMs: NOW,
    });
    expect(d.cause).toBe("presigned-not-yet-valid");
  });

  it("separates a JWT clock complaint from a bad service-account key", () => {
    const skew = run(
      {
        code: "invalid_grant",
        detail:
          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
      },
      { observation: obs({ provider: "gcs", tokenGrant: true, status: 400 }) },
    );
    expect(skew.cause).toBe("jwt-clock-skew");
    expect(skew.deadEnds.join(" ")).toMatch(/Rotating the service account key/);
    const key = run(
      { code: "invalid_grant", detail: "Invalid JWT Signature." },
      { observation: obs({ provider: "gcs", tokenGrant: true, status: 400 }) },
    );
    expect(key.cause).toBe("secret-key-mismatch");
  });

  it("blames a possible failure on the clock only when the clock was off", () => {
    const estimate = {
      offsetMs: 3 * MIN,
      lowMs: 3 * MIN - 500,
      highMs: 3 * MIN + 500,
      samples: 1,
      updatedAt: NOW,
    };
    expect(run({ code: "SignatureDoesNotMatch" }, { estimate }).cause).toBe("clock-behind");
    const fine = { ...estimate, offsetMs: 200, lowMs: -300, highMs: 700 };
    const d = run({ code: "SignatureDoesNotMatch" }, { estimate: fine });
    expect(d.cause).toBe("secret-key-mismatch");
    expect(d.confidence).toBe("medium");
  });

  it("says what it checked when nothing is conclusive", () => {
    const d = diagnose({
      observation: obs({ status: 500 }),
      facts: { code: "InternalError" },
      resentOnCorrectedClock: false,
    });
    expect(d.cause).toBe("unknown");
    expect(d.checked.length).toBeGreaterThan(0);
  });
});

describe("diagnose without evidence", () => {
  it("calls a bare 403 with no server time unknown, listing what it checked", () => {
    const d = diagnose({
      observation: obs({ status: 403 }),
      facts: {},
      resentOnCorrectedClock: false,
    });
    expect(d.cause).toBe("unknown");
    expect(d.checked).toContain("request time vs server time");
  });
});
