import { describe, expect, it } from "vitest";
import { type DiagnoseInput, diagnose } from "./diagnose.js";
import type { Cause, ErrorFacts, Observation } from "./types.js";

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

describe("diagnose: the causes pasted failures need, and honest confidence", () => {
  const pastedObs = (over: Partial<Observation> = {}): Observation =>
    obs({ sentAt: 0, receivedAt: 0, client: { lateSendSigns: [] }, ...over });

  it("a behind clock with no sign either way is medium, leaving a late send open with its check", () => {
    const d = run(
      { code: "RequestTimeTooSkewed", requestTimeMs: NOW - 20 * MIN, serverTimeMs: NOW },
      { observation: pastedObs() },
    );
    expect(d).toMatchObject({ cause: "clock-behind", confidence: "medium" });
    expect(d.candidates?.map((c) => c.cause)).toEqual(["signed-too-early"]);
    expect(d.candidates?.[0]?.check).toMatch(/signing time/);
    // Rotating keys fixes nothing left open: still a dead end.
    expect(d.deadEnds.join(" ")).toMatch(/Regenerating or rotating access keys/);
  });

  it("the client's own clock reading the server's time makes it a late send, not a clock", () => {
    const d = run(
      { code: "RequestTimeTooSkewed", requestTimeMs: NOW - 16 * MIN, serverTimeMs: NOW },
      { observation: pastedObs({ client: { lateSendSigns: [], clockAtResponseMs: NOW + 300 } }) },
    );
    expect(d).toMatchObject({ cause: "signed-too-early", confidence: "high" });
    expect(d.candidates).toBeUndefined();
    expect(d.deadEnds.join(" ")).toMatch(/Fixing the clock/);
  });

  it("the client's own clock reading the request's time confirms the clock", () => {
    const d = run(
      { code: "SignatureDoesNotMatch", serverDateMs: NOW },
      {
        observation: pastedObs({
          signed: { signedAtMs: NOW - 7 * MIN },
          client: { lateSendSigns: [], clockAtResponseMs: NOW - 7 * MIN + 400 },
        }),
      },
    );
    expect(d).toMatchObject({ cause: "clock-behind", confidence: "high" });
  });

  it("a clock ahead cannot be a late send", () => {
    const d = run(
      {
        code: "InvalidSignatureException",
        requestTimeMs: NOW + 15 * MIN,
        serverTimeMs: NOW,
        message:
          "Signature not yet current: 20261123T101500Z is still later than 20261123T100500Z (20261123T100000Z + 5 min.)",
      },
      { observation: pastedObs() },
    );
    expect(d).toMatchObject({ cause: "clock-ahead", confidence: "high" });
  });

  it("a retry history without a clock reading: signed too early, the clock left open", () => {
    const d = run(
      { code: "RequestTimeTooSkewed", requestTimeMs: NOW - 16 * MIN, serverTimeMs: NOW },
      { observation: pastedObs({ client: { lateSendSigns: ["attempt 8"] } }) },
    );
    expect(d).toMatchObject({ cause: "signed-too-early", confidence: "medium" });
    expect(d.candidates?.map((c) => c.cause)).toEqual(["clock-behind"]);
    expect(d.deadEnds.join(" ")).not.toMatch(/Fixing the clock/);
  });

  it("a bare SignatureDoesNotMatch is unknown, with the candidates and no dead end", () => {
    const d = run({ code: "SignatureDoesNotMatch" }, { observation: pastedObs() });
    expect(d.cause).toBe("unknown");
    expect(d.candidates?.map((c) => c.cause)).toEqual([
      "secret-key-mismatch",
      "clock-behind",
      "clock-ahead",
      "request-changed",
    ]);
    expect(d.deadEnds).toEqual([]);
  });

  it("folds a measurement of the clock into a pasted failure that had no time", () => {
    const estimate = (offsetMs: number) => ({
      offsetMs,
      lowMs: offsetMs - 50,
      highMs: offsetMs + 50,
      samples: 4,
      updatedAt: NOW,
    });
    const skewed = run(
      { code: "SignatureDoesNotMatch" },
      { observation: pastedObs(), estimate: estimate(20 * MIN) },
    );
    expect(skewed.cause).toBe("clock-behind");
    expect(skewed.evidence.find((e) => e.name === "measuredOffset")?.value).toMatch(/^\+20m 0s/);
    const inStep = run(
      { code: "SignatureDoesNotMatch" },
      { observation: pastedObs(), estimate: estimate(120) },
    );
    expect(inStep).toMatchObject({ cause: "secret-key-mismatch", confidence: "medium" });
    expect(inStep.candidates?.map((c) => c.cause)).toEqual(["request-changed"]);
    // The clock is ruled out now, so fixing it is a dead end; rotating keys is not.
    expect(inStep.deadEnds.join(" ")).toMatch(/Fixing the clock: it was already right/);
  });

  it("never calls a fix for a cause still open a dead end", () => {
    const d = run(
      { code: "SignatureDoesNotMatch", serverDateMs: NOW },
      { observation: pastedObs({ signed: { signedAtMs: NOW - 7 * MIN } }) },
    );
    expect(d).toMatchObject({ cause: "clock-behind", confidence: "medium" });
    expect(d.candidates?.map((c) => c.cause)).toContain("secret-key-mismatch");
    expect(d.deadEnds.join(" ")).not.toMatch(/rotating access keys/);
  });

  it("names each new cause from its evidence", () => {
    const cases: Array<[Cause, ErrorFacts, Partial<Observation>]> = [
      [
        "temporary-credentials-expired",
        { code: "ExpiredToken", message: "The provided token has expired." },
        {},
      ],
      [
        "session-token-missing",
        { code: "InvalidAccessKeyId", accessKeyId: "ASIAIOSFODNN7EXAMPLE" },
        { signed: { accessKeyId: "ASIAIOSFODNN7EXAMPLE", sessionToken: false } },
      ],
      [
        "access-key-disabled",
        { code: "InvalidAccessKeyId", accessKeyId: "AKIAIOSFODNN7EXAMPLE" },
        {},
      ],
      [
        "presigned-expiry-too-long",
        {
          code: "AuthorizationQueryParametersError",
          message:
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        },
        {},
      ],
      [
        "server-clock-wrong",
        {
          code: "RequestTimeTooSkewed",
          serverDateMs: Date.parse("1970-01-01T00:12:09Z"),
          requestTimeMs: NOW,
        },
        {},
      ],
      [
        "server-clock-wrong",
        {
          code: "RequestTimeTooSkewed",
          serverTimeMs: NOW - 86_400_000,
          serverDateMs: NOW + 1000,
          requestTimeMs: NOW,
        },
        {},
      ],
      [
        "credential-scope-mismatch",
        {
          code: "AuthorizationHeaderMalformed",
          message:
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
        },
        {},
      ],
      [
        "algorithm-mismatch",
        {
          code: "InvalidRequest",
          message:
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        },
        {},
      ],
    ];
    for (const [cause, facts, over] of cases) {
      const d = run(facts, { observation: pastedObs(over) });
      expect(d.cause, JSON.stringify(facts)).toBe(cause);
      expect(d.fixes.length, cause).toBeGreaterThan(0);
    }
    const scoped = run(cases[6]![1], { observation: pastedObs() });
    expect(scoped.firstDifference).toEqual({
      field: "scope.region",
      client: "us-east-1",
      server: "eu-central-1",
    });
  });

  it("says a 404 or a policy denial is not a signature failure, with its own fix", () => {
    const d = run(
      { code: "AccessDenied", message: "User: x is not authorized" },
      { observation: pastedObs() },
    );
    expect(d.cause).toBe("unknown");
    expect(d.summary).toMatch(/^Not a signature failure/);
    expect(d.fixes[0]).toMatch(/policy/);
  });

  it("words fixes for the provider at hand only", () => {
    const facts: ErrorFacts = { code: "SignatureDoesNotMatch", stringToSign: STS };
    const signed = { stringToSign: STS };
    const gcs = run(facts, { observation: obs({ provider: "gcs", signed }) });
    const azure = run(
      { code: "AuthenticationFailed" },
      { resentOnCorrectedClock: true, observation: obs({ provider: "azure" }) },
    );
    const s3 = run(facts, { observation: obs({ signed }) });
    expect(gcs.fixes.join(" ")).not.toMatch(/AWS|Azure|storage account/);
    expect(azure.fixes.join(" ")).not.toMatch(/AWS|GCS|Google|HMAC/);
    expect(s3.fixes.join(" ")).not.toMatch(/Azure|GCS|Google/);
  });
});
