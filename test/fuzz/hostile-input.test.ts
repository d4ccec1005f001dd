import {
  CATALOGUE,
  diagnosisOf,
  OffsetStore,
  REDACTED,
  type Observation,
  type Provider,
  type SkewguardEvent,
} from "@skewguard/diagnosis";
import { DEFAULT_BODY_CAP_BYTES, SkewRecovery } from "@skewguard/diagnosis/adapter";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bodies from "../../packages/diagnosis/src/error-bodies.fixture.js";
import { MAX_STRING_CHARS, SCAN_MARGIN_CHARS } from "../../packages/diagnosis/src/redact.js";
import { fragmentsOf } from "../secrets/fragments.js";

/**
 * Hostile input through the whole core (parsers, estimator, decide, diagnose, events): real
 * error bodies mutated and with credentials planted anywhere, as a misbehaving server or proxy
 * might send them, and credentials placed so that every length limit on the way out cuts
 * through them. Nothing may throw or hang, every input gets a decision and a diagnosis, the
 * output stays bounded, and no planted credential, nor any fragment of one, reaches an event, a
 * log line or the diagnosis attached to the error. How long the worst input takes is measured
 * by `pnpm bench` (scripts/bench-core.mjs), not asserted here.
 */

const CASES_PER_PROVIDER = 10_000;
/** Three calls per input (two attempts, one diagnosis) emit a handful of events, never more. */
const MAX_EVENTS_PER_INPUT = 10;
/** Events and log lines for one input: far below the 64 KiB body cap, whatever the body. */
const MAX_OUTPUT_CHARS_PER_INPUT = 32 * 1024;
const NOW = Date.parse("2026-11-23T10:00:00Z");

const REAL: Record<Provider, readonly string[]> = {
  s3: [
    bodies.S3_REQUEST_TIME_TOO_SKEWED,
    bodies.S3_SIGNATURE_DOES_NOT_MATCH,
    bodies.S3_REQUEST_HAS_EXPIRED,
  ],
  gcs: [
    bodies.GCS_XML_SIGNATURE_DOES_NOT_MATCH,
    bodies.GCS_XML_EXPIRED_TOKEN,
    bodies.GCS_XML_NOT_YET_VALID,
    bodies.GCS_JSON_AUTH_ERROR,
    bodies.GCS_INVALID_GRANT,
  ],
  azure: [
    bodies.AZURE_DATE_TOO_OLD,
    bodies.AZURE_SAS_TIME_FRAME,
    bodies.AZURE_EXPIRY_BEFORE_START,
    bodies.AZURE_MAC_MISMATCH,
    bodies.AZURITE_AUTHORIZATION_FAILURE,
  ],
  aws: [
    bodies.AWS_JSON_SIGNATURE_EXPIRED,
    bodies.AWS_JSON_NOT_YET_CURRENT,
    bodies.AWS_QUERY_SIGNATURE_EXPIRED,
    bodies.EC2_REQUEST_EXPIRED,
  ],
};

/**
 * Random text, as credentials are (a key, a hash, a token), from a generated seed: fast-check's
 * own strings lean on repeats ("AAAA..."), which no credential has and a redactor judging
 * randomness rightly keeps. xorshift32.
 */
const chars = (alphabet: string, length: number) =>
  fc.integer().map((seed) => {
    let x = seed >>> 0 || 0x9e3779b9;
    let out = "";
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out += alphabet[x % alphabet.length];
    }
    return out;
  });
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * A credential, and how it is written where it leaks: no run of `FRAGMENT_WINDOW` characters of
 * the secret may appear (a secret cut at a length limit leaves its start, not all of it).
 */
const planted = fc.oneof(
  chars("0123456789abcdef", 64).map((s) => ({ secret: s, text: `Signature=${s}` })),
  chars("0123456789abcdef", 64).map((s) => ({
    secret: s,
    text: `<SignatureProvided>${s}</SignatureProvided>`,
  })),
  chars("0123456789abcdef", 64).map((s) => ({ secret: s, text: s })),
  chars(B64, 37).map((s) => ({ secret: `Ab1${s}`, text: `Ab1${s}` })), // an AWS secret key
  chars(B64, 85).map((s) => ({ secret: `Ab1${s}`, text: `AccountKey=Ab1${s}==` })), // an Azure account key
  chars(B64, 40).map((s) => ({ secret: `Ab1${s}`, text: `sig=Ab1${encodeURIComponent(s)}%3D` })),
  chars(B64, 40).map((s) => ({ secret: `Ab1${s}`, text: `SharedKey devstoreaccount1:Ab1${s}=` })),
  chars(B64URL, 80).map((s) => ({ secret: `ya29.${s}`, text: `Bearer ya29.${s}` })),
  fc
    .tuple(chars(B64URL, 24), chars(B64URL, 60), chars(B64URL, 43))
    .map(([a, b, c]) => ({ secret: `eyJ${a}.eyJ${b}.${c}`, text: `eyJ${a}.eyJ${b}.${c}` })),
  chars(B64, 200).map((s) => ({ secret: `IQo${s}`, text: `X-Amz-Security-Token=IQo${s}` })),
  // With no label to go by:
  chars(B64URL, 80).map((s) => ({ secret: `ya29.${s}`, text: `ya29.${s}` })), // a bearer token
  chars(B64URL, 60).map((s) => ({ secret: `1//0${s}`, text: `1//0${s}` })), // a refresh token
  fc
    .tuple(chars(B64URL, 24), chars(B64URL, 60))
    .map(([a, b]) => ({ secret: `eyJ${a}.eyJ${b}`, text: `eyJ${a}.eyJ${b}` })), // unsigned JWT
  chars(B64URL, 60).map((s) => ({ secret: `eyJ${s}`, text: `eyJ${s}` })), // one JWT segment
  chars(B64URL, 342).map((s) => ({ secret: s, text: s })), // an RS256 signature segment alone
  chars(B64, 40).map((s) => ({
    // A SAS URL inside another URL's query: sig double-encoded.
    secret: `Ab1${s}`,
    text: `return=${encodeURIComponent(`https://a.blob.core.windows.net/c/b?sv=2025-01-05&sig=${encodeURIComponent(`Ab1${s}=`)}&se=2026`)}`,
  })),
  chars(B64, 200).map((s) => ({
    secret: `IQo${s}`,
    text: encodeURIComponent(`IQo${s}`), // a session token, URL-encoded, unlabelled
  })),
  chars(B64, 200).map((s) => ({
    secret: `IQo${s}`,
    text: encodeURIComponent(encodeURIComponent(`IQo${s}`)), // and encoded twice
  })),
  chars(B64, 64).map((s) => ({ secret: `MII${s}`, text: `MII${s}` })), // a line of a PEM key
  chars(B64URL, 24).map((s) => ({ secret: s, text: `https://admin:${s}@proxy.internal:3128/` })),
);

/** What the hostile server answers, as the SDK hands it over, and the secret it hides. */
interface Scenario {
  body: string;
  /** An error document the SDK parsed (Google's, Azure `RestError` details). */
  document?: Record<string, unknown>;
  /** AWS SDK error fields (`Message`, `StringToSign`, ...). */
  fields?: Record<string, string>;
  /** What the client signed, so a server string-to-sign is diffed line by line. */
  signedStringToSign?: string;
  secrets: string[];
}

/** A real body, mutated: cut, spliced with junk, or with a credential planted at any offset. */
function mutatedBody(provider: Provider): fc.Arbitrary<Scenario> {
  return fc
    .record({
      base: fc.constantFrom(...REAL[provider]),
      cut: fc.option(fc.nat(), { nil: undefined }),
      junkAt: fc.nat(),
      junk: fc.oneof(
        fc.string(),
        fc.constantFrom("<", "</Error>", "&amp;", "&#x0;", "]]>", "<!ENTITY a 'b'>", "\uFEFF"),
      ),
      plantAt: fc.nat(),
      secret: planted,
      withFields: fc.boolean(),
    })
    .map(({ base, cut, junkAt, junk, plantAt, secret, withFields }) => {
      let body = cut === undefined ? base : base.slice(0, cut % (base.length + 1));
      const j = junkAt % (body.length + 1);
      body = body.slice(0, j) + junk + body.slice(j);
      const p = plantAt % (body.length + 1);
      body = body.slice(0, p) + secret.text + body.slice(p);
      return {
        body,
        ...(withFields
          ? { fields: { Code: "SignatureDoesNotMatch", Message: body, StringToSign: body } }
          : {}),
        secrets: [secret.secret],
      };
    });
}

/**
 * Every length limit text meets on its way out, with where each one measures from:
 * - `MESSAGE`: a message or detail shown as evidence, cut at 300 characters (diagnose.ts);
 * - `EVENT`: any string in an event or attached diagnosis, cut at 4,096 (`MAX_STRING_CHARS`);
 *   here a server string-to-sign line, which a diagnosis quotes as the first difference;
 * - `BODY`: a body, an SDK error field or an Azure detail, read up to 64 KiB (`readCapped`);
 * - `SCAN`: long text is scrubbed `SCAN_MARGIN_CHARS` past its cut first, and further when
 *   scrubbing shrank it (`truncateRedacted`): here a message that opens with a 4 KB key.
 */
const MESSAGE = 300;
const EVENT = MAX_STRING_CHARS;
const BODY = DEFAULT_BODY_CAP_BYTES;
const SCAN = MESSAGE + SCAN_MARGIN_CHARS;
/** Scrubs down to one marker: what comes after it slides towards the cut. */
const KEY_BLOB = `${"Zq7Kx2Lm9Pw4Rt6Yb1Nc8Vd3Hf5Gj0".repeat(140)} `;

/** Where the text a cut measures sits, given the text: a scenario for each cut and carrier. */
interface Carrier {
  cut: number;
  /** Text the carrier's text opens with (counted by the cut). */
  lead?: string;
  /** What the filler is made of, and what joins it to the credential. @default words, a space */
  filler?: string;
  joiner?: string;
  /** The evidence is shown: a secret cut there shows as the marker. */
  shown: boolean;
  build(text: string): Omit<Scenario, "secrets">;
}

const S3_STS_HEAD = "AWS4-HMAC-SHA256\n20261123T100000Z\n20261123/us-east-1/s3/aws4_request\n";
const GCS_STS_HEAD = "GOOG4-RSA-SHA256\n20261123T100000Z\n20261123/auto/storage/goog4_request\n";
const AZURE_STS = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 23 Nov 2026 10:00:00 GMT\n";
const HASH = "0".repeat(64);

function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
}

const CARRIERS: Record<Provider, readonly Carrier[]> = {
  s3: [
    { cut: MESSAGE, shown: true, build: (t) => ({ body: "", fields: s3Fields(t, HASH) }) },
    {
      cut: EVENT,
      shown: true,
      build: (t) => ({
        body: "",
        fields: s3Fields("Denied.", t),
        signedStringToSign: S3_STS_HEAD + HASH,
      }),
    },
    { cut: BODY, shown: false, build: (t) => ({ body: "", fields: s3Fields(t, HASH) }) },
    {
      cut: BODY - S3_STS_HEAD.length,
      shown: false,
      build: (t) => ({
        body: "",
        fields: s3Fields("Denied.", t),
        signedStringToSign: S3_STS_HEAD + HASH,
      }),
    },
  ],
  gcs: [
    { cut: MESSAGE, shown: true, build: (t) => ({ body: "", document: googleDocument(t) }) },
    {
      cut: SCAN,
      lead: KEY_BLOB,
      shown: true,
      build: (t) => ({ body: "", document: googleDocument(t) }),
    },
    {
      cut: EVENT,
      shown: true,
      build: (t) => ({
        body: gcsXml(`${GCS_STS_HEAD}${t}`),
        signedStringToSign: GCS_STS_HEAD + HASH,
      }),
    },
    {
      // The body cap, through the Details element (the body then fails to parse).
      cut: BODY - gcsXml("").indexOf("</Details>"),
      shown: false,
      build: (t) => ({ body: gcsXml(HASH, t) }),
    },
  ],
  azure: [
    { cut: MESSAGE, shown: true, build: (t) => ({ body: "", document: azureDetails(t) }) },
    {
      cut: EVENT,
      shown: true,
      build: (t) => ({
        body: azureXml(`Server used following string to sign: '${AZURE_STS}${t}'.`),
        signedStringToSign: `${AZURE_STS}x-ms-version:2025-01-05`,
      }),
    },
    { cut: BODY, shown: false, build: (t) => ({ body: "", document: azureDetails(t) }) },
    {
      // `RequestId:<value>` in the message is read up to 64 characters.
      cut: 64,
      filler: ";",
      joiner: "",
      shown: false,
      build: (t) => ({
        body: azureXml("Request date header too old", `Server failed.\nRequestId:${t}\nTime:x`),
      }),
    },
  ],
  aws: [
    {
      cut: MESSAGE,
      shown: true,
      build: (t) => ({ body: "", fields: { Code: "InvalidSignatureException", Message: t } }),
    },
    {
      cut: MESSAGE,
      shown: true,
      build: (t) => ({
        body: JSON.stringify({
          __type: "com.amazon.coral.service#InvalidSignatureException",
          message: t,
        }),
      }),
    },
    {
      cut: BODY,
      shown: false,
      build: (t) => ({ body: "", fields: { Code: "InvalidSignatureException", Message: t } }),
    },
  ],
};

function s3Fields(message: string, lastLine: string): Record<string, string> {
  return {
    Code: "SignatureDoesNotMatch",
    Message: message,
    StringToSign: S3_STS_HEAD + lastLine,
  };
}

function googleDocument(message: string): Record<string, unknown> {
  return { error: { code: 403, message, errors: [{ message, reason: "forbidden" }] } };
}

function gcsXml(stringToSign: string, details = "Access denied."): string {
  return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>Access denied.</Message><StringToSign>${xmlEscape(stringToSign)}</StringToSign><Details>${xmlEscape(details)}</Details></Error>`;
}

function azureXml(detail: string, message = "Server failed to authenticate the request."): string {
  return `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>${xmlEscape(message)}</Message><AuthenticationErrorDetail>${xmlEscape(detail)}</AuthenticationErrorDetail></Error>`;
}

function azureDetails(detail: string): Record<string, unknown> {
  return {
    errorCode: "AuthenticationFailed",
    message: "Server failed to authenticate the request.",
    authenticationErrorDetail: detail,
  };
}

/**
 * A credential straddling one of the cuts: the cut goes through the secret after `into` of its
 * characters, whatever precedes it (words) and follows it (more words).
 */
function straddling(provider: Provider): fc.Arbitrary<Scenario & { into: number; shown: boolean }> {
  return fc
    .record({ carrier: fc.constantFrom(...CARRIERS[provider]), secret: planted, into: fc.nat() })
    .map(({ carrier, secret, into }) => {
      const at = secret.text.indexOf(secret.secret);
      const inside = 1 + (into % (secret.secret.length - 1)); // 1 .. length-1: really cut
      const lead = carrier.lead ?? "";
      // Words, then a space: nothing glues to the credential but what its shape has.
      const joiner = carrier.joiner ?? " ";
      const unit = carrier.filler ?? "w ";
      const length = Math.max(0, carrier.cut - inside - at - joiner.length - lead.length);
      const filler = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
      return {
        ...carrier.build(`${lead}${filler}${joiner}${secret.text} and more words after it`),
        secrets: [secret.secret],
        into: inside,
        shown: carrier.shown,
      };
    });
}

const headerValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "Mon, 23 Nov 2026 10:15:00 GMT",
    "Thu, 01 Jan 2099 00:00:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "",
  ),
);

function observation(
  provider: Provider,
  scenario: Scenario,
  headers: Record<string, string>,
  status: number,
): Observation {
  return {
    provider,
    host: "127.0.0.1:9000",
    operation: "PutObject",
    sentAt: NOW,
    receivedAt: NOW + 25,
    status,
    headers,
    body: scenario.body,
    ...(scenario.document ? { document: scenario.document } : {}),
    ...(scenario.fields ? { fields: scenario.fields } : {}),
    signed: {
      signedAtMs: NOW,
      offsetMs: 0,
      ...(scenario.signedStringToSign ? { stringToSign: scenario.signedStringToSign } : {}),
    },
  };
}

/** What one hostile answer yields: every event, log line and attached diagnosis as one text. */
interface Said {
  out: string;
  events: number;
  attempts: number;
  judged: boolean;
}

async function everythingSaid(
  provider: Provider,
  scenario: Scenario,
  headers: Record<string, string>,
  status: number,
): Promise<Said> {
  const lines: string[] = [];
  const events: SkewguardEvent[] = [];
  const logger = {
    warn: (obj: object, msg?: string) => lines.push(JSON.stringify(obj) + (msg ?? "")),
  };
  const clock = { now: () => NOW };
  const recovery = new SkewRecovery(provider, {
    clock,
    offsets: new OffsetStore({ clock }),
    onEvent: (e) => events.push(e),
    logger,
  });
  // Every attempt of a request gets the same hostile answer, as the SDK reports it.
  const error = new Error("refused");
  const { body, document, fields, signedStringToSign } = scenario;
  let attempts = 0;
  const thrown = await recovery
    .run({ host: "127.0.0.1:9000", operation: "PutObject" }, async () => {
      attempts++;
      return {
        error,
        status,
        response: () => ({
          headers,
          body,
          ...(document ? { document } : {}),
          ...(fields ? { error: { $metadata: {}, ...fields } } : {}),
          ...(signedStringToSign ? { signed: { stringToSign: signedStringToSign } } : {}),
        }),
      };
    })
    .catch((e: unknown) => e);
  const diagnosis = await recovery.diagnose(observation(provider, scenario, headers, status));
  return {
    out: JSON.stringify([events, diagnosisOf(thrown)]) + lines.join("\n"),
    events: events.length,
    attempts,
    // Read to the end and judged: the SDK's error back, at most one resend, a cause from the
    // catalogue.
    judged: thrown === error && attempts <= 2 && Object.hasOwn(CATALOGUE, diagnosis.cause),
  };
}

describe.each(["s3", "gcs", "azure", "aws"] as const)("hostile input (%s)", (provider) => {
  it(`${CASES_PER_PROVIDER} mutated bodies, headers and fields, and credentials straddling every cut: no throw, every input judged, bounded output, no fragment of a credential in any event, log line or attached diagnosis`, async () => {
    let straddled = 0;
    let straddledShown = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutatedBody(provider), straddling(provider)),
        headerValue,
        planted,
        fc.constantFrom(400, 401, 403, 404, 500),
        async (scenario, date, headerSecret, status) => {
          const headers = {
            date,
            authorization: headerSecret.text,
            "x-ms-error-code": "AuthenticationFailed",
            "x-amz-request-id": headerSecret.text,
          };
          const said = await everythingSaid(provider, scenario, headers, status);
          // Plain checks, kept cheap: this runs 10,000 times.
          const bounded =
            said.events <= MAX_EVENTS_PER_INPUT && said.out.length <= MAX_OUTPUT_CHARS_PER_INPUT;
          if (!said.judged || !bounded) {
            throw new Error(
              `judged ${said.judged}, ${said.attempts} attempts, ${said.events} events, ${said.out.length} chars: ${JSON.stringify(scenario).slice(0, 2000)}`,
            );
          }
          for (const secret of [...scenario.secrets, headerSecret.secret]) {
            expect(fragmentsOf(secret, said.out)).toEqual([]);
          }
          if ("into" in scenario) {
            straddled++;
            // Not vacuous: where the evidence is shown, the cut secret shows as the marker
            // (once at least its length of it lies before the cut).
            if (scenario.shown && scenario.into >= REDACTED.length && status !== 404) {
              straddledShown++;
              expect(said.out).toContain(REDACTED);
            }
          }
        },
      ),
      { numRuns: CASES_PER_PROVIDER },
    );
    expect(straddled).toBeGreaterThan(CASES_PER_PROVIDER / 4);
    expect(straddledShown).toBeGreaterThan(CASES_PER_PROVIDER / 20);
  }, 600_000);
});
