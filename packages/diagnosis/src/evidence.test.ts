import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALL_BODIES,
  AZURE_DATE_TOO_OLD,
  AZURE_SAS_TIME_FRAME,
  AWS_JSON_SIGNATURE_EXPIRED,
  AWS_QUERY_SIGNATURE_EXPIRED,
  EC2_REQUEST_EXPIRED,
  GCS_INVALID_GRANT,
  GCS_JSON_AUTH_ERROR,
  GCS_XML_SIGNATURE_DOES_NOT_MATCH,
  S3_REQUEST_HAS_EXPIRED,
  S3_REQUEST_TIME_TOO_SKEWED,
} from "./error-bodies.fixture.js";
import { classifyClockVerdict, isPresignedExpiry } from "./constants.js";
import { DEFAULT_BODY_CAP_BYTES, readCapped, readEvidence } from "./evidence.js";
import { parseHttpDate } from "./http-date.js";
import { parseAzureAuthenticationDetail, parseAzureErrorXml } from "./parse-azure.js";
import { parseAwsJsonError, readAwsErrorMessage } from "./parse-aws-protocols.js";
import { parseGcsErrorJson } from "./parse-gcs.js";
import { parseS3ErrorXml, s3FieldsToFacts } from "./parse-s3.js";
import type { Observation } from "./types.js";

const at = (iso: string) => Date.parse(iso);
const DATE = "Mon, 23 Nov 2026 10:00:01 GMT";

function observation(overrides: Partial<Observation>): Observation {
  return {
    provider: "s3",
    host: "s3.us-east-1.amazonaws.com:443",
    sentAt: at("2026-11-23T09:40:00Z"),
    receivedAt: at("2026-11-23T09:40:00.080Z"),
    status: 403,
    headers: {},
    ...overrides,
  };
}

describe("readEvidence", () => {
  it("takes S3's ServerTime as exact body evidence and Date as whole seconds", () => {
    const evidence = readEvidence(
      observation({ body: S3_REQUEST_TIME_TOO_SKEWED, headers: { date: DATE } }),
    );
    expect(evidence.facts.code).toBe("RequestTimeTooSkewed");
    expect(evidence.time).toEqual([
      {
        source: "s3-server-time",
        serverTimeMs: at("2026-11-23T10:00:00Z"),
        resolutionMs: 1000,
        fromBody: true,
      },
      { source: "date-header", serverTimeMs: at(DATE), resolutionMs: 1000, fromBody: false },
    ]);
    expect(evidence.cached).toBe(false);
  });

  it("gives millisecond ServerTime a 1 ms resolution", () => {
    const { time } = readEvidence(observation({ body: S3_REQUEST_HAS_EXPIRED }));
    expect(time).toEqual([
      {
        source: "s3-server-time",
        serverTimeMs: at("2026-11-23T10:00:00.123Z"),
        resolutionMs: 1,
        fromBody: true,
      },
    ]);
  });

  it("reads Azure's Time: as azure-detail-time", () => {
    const { facts, time } = readEvidence(
      observation({ provider: "azure", body: AZURE_DATE_TOO_OLD, headers: { date: DATE } }),
    );
    expect(facts.requestTimeMs).toBe(at("2026-11-23T09:40:00Z"));
    expect(time[0]).toEqual({
      source: "azure-detail-time",
      serverTimeMs: at("2026-11-23T10:00:00.123Z"),
      resolutionMs: 1,
      fromBody: true,
    });
  });

  it("reads Azure's Current [...] at whole seconds when Time: is absent", () => {
    const body = AZURE_SAS_TIME_FRAME.replace(/\nTime:[^<]*/, "");
    const { time } = readEvidence(observation({ provider: "azure", body }));
    expect(time).toEqual([
      {
        source: "azure-detail-time",
        serverTimeMs: at("2026-11-23T10:00:00Z"),
        resolutionMs: 1000,
        fromBody: true,
      },
    ]);
  });

  it("reads GCS XML through the S3 reader and GCS JSON through the JSON reader", () => {
    const xml = readEvidence(
      observation({ provider: "gcs", body: GCS_XML_SIGNATURE_DOES_NOT_MATCH }),
    );
    expect(xml.facts.code).toBe("SignatureDoesNotMatch");
    expect(xml.facts.stringToSign).toMatch(/^GOOG4-RSA-SHA256\n/);
    const json = readEvidence(observation({ provider: "gcs", body: GCS_JSON_AUTH_ERROR }));
    expect(json.facts).toEqual({ code: "authError", message: "Invalid Credentials" });
    const grant = readEvidence(
      observation({ provider: "gcs", tokenGrant: true, body: GCS_INVALID_GRANT }),
    );
    expect(grant.facts.code).toBe("invalid_grant");
    expect(grant.time).toEqual([]);
  });

  it("falls back to the SDK's parsed fields when there is no body", () => {
    const { facts, time } = readEvidence(
      observation({
        fields: {
          Code: "RequestTimeTooSkewed",
          ServerTime: "2026-11-23T10:00:00Z",
          RequestTime: "20261123T094000Z",
        },
      }),
    );
    expect(facts).toMatchObject({
      code: "RequestTimeTooSkewed",
      requestTimeMs: at("2026-11-23T09:40:00Z"),
    });
    expect(time).toEqual([
      {
        source: "s3-server-time",
        serverTimeMs: at("2026-11-23T10:00:00Z"),
        resolutionMs: 1000,
        fromBody: true,
      },
    ]);
  });

  it("prefers the SDK's fields over a body cut short", () => {
    const { facts } = readEvidence(
      observation({
        body: S3_REQUEST_TIME_TOO_SKEWED.slice(0, 120),
        fields: { Code: "RequestTimeTooSkewed" },
      }),
    );
    expect(facts).toEqual({ code: "RequestTimeTooSkewed" });
  });

  it("fills code and request id from headers when the body has none (an Azure HEAD)", () => {
    const { facts, time } = readEvidence(
      observation({
        provider: "azure",
        headers: {
          "x-ms-error-code": "AuthenticationFailed",
          "x-ms-request-id": "b0e5c2f4-601e-0070-1a2b-3c4d5e000000",
          date: DATE,
        },
      }),
    );
    expect(facts).toEqual({
      code: "AuthenticationFailed",
      requestId: "b0e5c2f4-601e-0070-1a2b-3c4d5e000000",
    });
    expect(time.map((t) => t.source)).toEqual(["date-header"]);
  });

  it("reads the S3 and GCS request-id headers, and x-amz-error-code", () => {
    expect(
      readEvidence(
        observation({ headers: { "x-amz-request-id": "R1", "x-amz-error-code": "AccessDenied" } }),
      ).facts,
    ).toEqual({ code: "AccessDenied", requestId: "R1" });
    expect(
      readEvidence(observation({ provider: "gcs", headers: { "x-guploader-uploadid": "ADPycdu" } }))
        .facts,
    ).toEqual({ requestId: "ADPycdu" });
  });

  it("lets the body's code and request id win over headers", () => {
    const { facts } = readEvidence(
      observation({
        body: S3_REQUEST_TIME_TOO_SKEWED,
        headers: { "x-amz-error-code": "Other", "x-amz-request-id": "HEADER" },
      }),
    );
    expect(facts.code).toBe("RequestTimeTooSkewed");
    expect(facts.requestId).toBe("4442587FB7D0A2F9");
  });

  it("marks responses with Age as cached", () => {
    expect(readEvidence(observation({ headers: { age: "0", date: DATE } })).cached).toBe(true);
  });

  it("ignores a Date header that is not an HTTP-date", () => {
    expect(readEvidence(observation({ headers: { date: "2026-11-23T10:00:00Z" } })).time).toEqual(
      [],
    );
  });

  it.each([
    ["empty", ""],
    ["whitespace", " \n\t "],
    ["truncated XML", S3_REQUEST_TIME_TOO_SKEWED.slice(0, 300)],
    ["truncated JSON", GCS_INVALID_GRANT.slice(0, 30)],
    ["HTML from a proxy", "<html><body><h1>403 Forbidden</h1></body></html>"],
    ["binary", String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37) % 256))],
  ])("yields no facts and no evidence for a %s body", (_, body) => {
    for (const provider of ["s3", "gcs", "azure"] as const) {
      expect(readEvidence(observation({ provider, body }))).toEqual({
        facts: {},
        time: [],
        cached: false,
      });
    }
  });

  it("reads a body only up to the cap: a document that fits is read, one byte more and 10 MB are not", () => {
    // How long a 10 MB body takes is measured by `pnpm bench` (scripts/bench-core.mjs); here,
    // that nothing past the cap is parsed, at the exact boundary.
    const padded = (bytes: number) =>
      S3_REQUEST_TIME_TOO_SKEWED.replace(
        "<Error>",
        `<Error><Padding>${"x".repeat(bytes)}</Padding>`,
      );
    const filler = DEFAULT_BODY_CAP_BYTES - Buffer.byteLength(padded(0));
    const fits = padded(filler);
    expect(Buffer.byteLength(fits)).toBe(DEFAULT_BODY_CAP_BYTES);
    expect(readEvidence(observation({ body: fits })).facts).toMatchObject({
      code: "RequestTimeTooSkewed",
      serverTimeMs: at("2026-11-23T10:00:00Z"),
    });
    const nothing = { facts: {}, time: [], cached: false };
    expect(readEvidence(observation({ body: padded(filler + 1) }))).toEqual(nothing);
    expect(readEvidence(observation({ body: padded(10 * 1024 * 1024) }))).toEqual(nothing);
  });

  it("never throws on a malformed observation", () => {
    const broken = { provider: "s3", headers: null, body: 42 } as unknown as Observation;
    expect(readEvidence(broken)).toEqual({ facts: {}, time: [], cached: false });
  });
});

describe("readEvidence, AWS protocols other than S3's", () => {
  const SERVER = at("2026-11-23T10:00:00Z");
  const messageTime = {
    source: "aws-signature-message",
    serverTimeMs: SERVER,
    resolutionMs: 1000,
    fromBody: true,
  };

  it("takes the server's time in an awsJson 'Signature expired' message as exact body evidence", () => {
    const evidence = readEvidence(
      observation({ provider: "aws", status: 400, body: AWS_JSON_SIGNATURE_EXPIRED }),
    );
    expect(evidence.facts).toMatchObject({
      code: "InvalidSignatureException",
      requestTimeMs: at("2026-11-23T09:40:00Z"),
      serverTimeMs: SERVER,
    });
    expect(evidence.time).toEqual([messageTime]);
  });

  it("reads the same from the fields the AWS SDK put on its error, with x-amzn-RequestId", () => {
    const evidence = readEvidence(
      observation({
        provider: "aws",
        status: 400,
        headers: { "x-amzn-requestid": "REQ-1", date: DATE },
        fields: {
          __type: "com.amazon.coral.service#InvalidSignatureException",
          Code: "InvalidSignatureException",
          message:
            "Signature not yet current: 20261123T102000Z is still later than 20261123T100500Z (20261123T100000Z + 5 min.)",
        },
      }),
    );
    expect(evidence.facts).toMatchObject({
      code: "InvalidSignatureException",
      requestId: "REQ-1",
      requestTimeMs: at("2026-11-23T10:20:00Z"),
      serverTimeMs: SERVER,
    });
    expect(evidence.time[0]).toEqual(messageTime);
  });

  it("reads awsQuery and ec2Query XML, and restJson's code from x-amzn-ErrorType", () => {
    const query = readEvidence(observation({ provider: "aws", body: AWS_QUERY_SIGNATURE_EXPIRED }));
    expect(query.facts.code).toBe("SignatureDoesNotMatch");
    expect(query.time).toEqual([messageTime]);
    const ec2 = readEvidence(observation({ provider: "aws", body: EC2_REQUEST_EXPIRED }));
    expect(ec2.facts).toMatchObject({ code: "RequestExpired", message: "Request has expired." });
    expect(ec2.time).toEqual([]);
    const rest = readEvidence(
      observation({
        provider: "aws",
        body: '{"Type":"User","message":"Signature expired: 20261123T094000Z is now earlier than 20261123T095500Z (20261123T100000Z - 5 min.)"}',
        headers: {
          "x-amzn-errortype":
            "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        },
      }),
    );
    expect(rest.facts.code).toBe("InvalidSignatureException");
    expect(rest.time).toEqual([messageTime]);
  });

  it("classifies the AWS front end's time complaints as definite, and EC2's RequestExpired as no presigned URL", () => {
    for (const body of [AWS_JSON_SIGNATURE_EXPIRED, AWS_QUERY_SIGNATURE_EXPIRED]) {
      const { facts } = readEvidence(observation({ provider: "aws", body }));
      expect(classifyClockVerdict(400, facts)).toBe("definite");
    }
    const ec2 = readEvidence(observation({ provider: "aws", body: EC2_REQUEST_EXPIRED })).facts;
    expect(classifyClockVerdict(400, ec2)).toBe("definite");
    expect(isPresignedExpiry(ec2)).toBe(false);
    // S3 says "Request has expired" of presigned URLs, under AccessDenied: still presigned.
    expect(isPresignedExpiry({ code: "AccessDenied", message: "Request has expired" })).toBe(true);
  });
});

describe("readCapped", () => {
  it("exports the 64 KiB default", () => {
    expect(DEFAULT_BODY_CAP_BYTES).toBe(65536);
  });

  it("returns bodies within the cap unchanged", () => {
    expect(readCapped(S3_REQUEST_TIME_TOO_SKEWED)).toBe(S3_REQUEST_TIME_TOO_SKEWED);
    expect(readCapped("abc", 3)).toBe("abc");
  });

  it("cuts to the cap in UTF-8 bytes, never inside a character", () => {
    expect(readCapped("ab; def", 4)).toBe("ab; ");
    expect(readCapped("aé€😀", 3)).toBe("aé"); // 1 + 2 bytes
    expect(readCapped("aé€😀", 6)).toBe("aé€"); // 1 + 2 + 3
    expect(readCapped("aé€😀", 9)).toBe("aé€"); // the 4-byte emoji does not fit in 3
    expect(readCapped("aé€😀", 10)).toBe("aé€😀");
    expect(readCapped("x", 0)).toBe("");
  });

  it("keeps every result within the cap, as a prefix", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.nat(400), (text, cap) => {
        const cut = readCapped(text, cap);
        expect(text.startsWith(cut)).toBe(true);
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Every entry point a response can reach, fed the same text. */
const PARSERS: ReadonlyArray<[string, (text: string) => unknown]> = [
  ["parseHttpDate", parseHttpDate],
  ["parseS3ErrorXml", parseS3ErrorXml],
  [
    "s3FieldsToFacts",
    (text) => s3FieldsToFacts({ Code: text, ServerTime: text, StringToSign: text }),
  ],
  ["parseGcsErrorJson", parseGcsErrorJson],
  ["parseAzureErrorXml", parseAzureErrorXml],
  ["parseAzureAuthenticationDetail", parseAzureAuthenticationDetail],
  ["parseAwsJsonError", parseAwsJsonError],
  ["readAwsErrorMessage", readAwsErrorMessage],
  ...(["s3", "gcs", "azure", "aws"] as const).map(
    (provider): [string, (text: string) => unknown] => [
      `readEvidence(${provider})`,
      (text) =>
        readEvidence(
          observation({ provider, body: text, headers: { date: text, "x-ms-error-code": text } }),
        ),
    ],
  ),
];

describe("every parser, on hostile input", () => {
  it.each(PARSERS)("%s never throws on random text", (_, parse) => {
    const text = fc.oneof(
      fc.string({ maxLength: 500 }),
      fc.string({ unit: "binary", maxLength: 500 }),
      fc.stringMatching(/^<Error>(<[A-Za-z]{1,12}>[^<]{0,40}<\/[A-Za-z]{1,12}>){0,6}<\/Error>$/),
    );
    fc.assert(
      fc.property(text, (t) => {
        parse(t);
      }),
      { numRuns: 500 },
    );
  });

  it.each(PARSERS)("%s never throws on truncated or corrupted real bodies", (_, parse) => {
    const mutation = fc.record({
      body: fc.constantFrom(...ALL_BODIES),
      cut: fc.nat(),
      at: fc.nat(),
      junk: fc.string({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(mutation, ({ body, cut, at: where, junk }) => {
        const truncated = body.slice(0, cut % (body.length + 1));
        const i = where % (body.length + 1);
        parse(truncated);
        parse(body.slice(0, i) + junk + body.slice(i));
      }),
      { numRuns: 500 },
    );
  });

  it("yields no facts for any truncation that cuts into the document", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_BODIES), fc.nat(), (body, cut) => {
        const end = body.trimEnd().length;
        const truncated = body.slice(0, cut % end);
        const provider = body.includes("RequestId:") ? "azure" : "s3";
        expect(readEvidence(observation({ provider, body: truncated }))).toEqual({
          facts: {},
          time: [],
          cached: false,
        });
      }),
      { numRuns: 2000 },
    );
  });
});
