import {
  CATALOGUE,
  diagnosisOf,
  OffsetStore,
  type Observation,
  type Provider,
  type SkewguardEvent,
} from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bodies from "../../packages/diagnosis/src/error-bodies.fixture.js";

/**
 * Hostile input through the whole core (parsers, estimator, decide, diagnose, events): real
 * error bodies mutated and with credentials planted anywhere, as a misbehaving server or proxy
 * might send them. Nothing may throw or hang, every input gets a decision and a diagnosis, the
 * output stays bounded, and no planted credential reaches an event or a log line. How long the
 * worst input takes is measured by `pnpm bench` (scripts/bench-core.mjs), not asserted here.
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

const chars = (alphabet: string, length: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length });
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A credential, and how it is written where it leaks: the secret is what must never appear. */
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
);

/** A real body, mutated: cut, spliced with junk, or with a credential planted at any offset. */
function mutatedBody(provider: Provider) {
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
    })
    .map(({ base, cut, junkAt, junk, plantAt, secret }) => {
      let body = cut === undefined ? base : base.slice(0, cut % (base.length + 1));
      const j = junkAt % (body.length + 1);
      body = body.slice(0, j) + junk + body.slice(j);
      const p = plantAt % (body.length + 1);
      return { body: body.slice(0, p) + secret.text + body.slice(p), secret: secret.secret };
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
  body: string,
  headers: Record<string, string>,
  status: number,
  fields?: Record<string, string>,
): Observation {
  return {
    provider,
    host: "127.0.0.1:9000",
    operation: "PutObject",
    sentAt: NOW,
    receivedAt: NOW + 25,
    status,
    headers,
    body,
    ...(fields ? { fields } : {}),
    signed: { signedAtMs: NOW, offsetMs: 0 },
  };
}

describe.each(["s3", "gcs", "azure", "aws"] as const)("hostile input (%s)", (provider) => {
  it(`${CASES_PER_PROVIDER} mutated bodies, headers and fields: no throw, every input judged, bounded output, no credential in any event, log line or attached diagnosis`, async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedBody(provider),
        headerValue,
        planted,
        fc.constantFrom(400, 401, 403, 404, 500),
        fc.boolean(),
        async ({ body, secret }, date, headerSecret, status, withFields) => {
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
          const headers = {
            date,
            authorization: headerSecret.text,
            "x-ms-error-code": "AuthenticationFailed",
            "x-amz-request-id": headerSecret.text,
          };
          const fields = withFields
            ? { Code: "SignatureDoesNotMatch", Message: body, StringToSign: body }
            : undefined;
          const obs = observation(provider, body, headers, status, fields);
          // Every attempt of a request gets the same hostile answer, as the SDK reports it.
          const error = new Error("refused");
          let attempts = 0;
          const thrown = await recovery
            .run({ host: obs.host, operation: "PutObject" }, async () => {
              attempts++;
              return {
                error,
                status,
                response: () => ({
                  headers,
                  body,
                  ...(fields ? { error: { $metadata: {}, ...fields } } : {}),
                }),
              };
            })
            .catch((e: unknown) => e);
          const diagnosis = recovery.diagnose(obs);
          // Read to the end and judged: the SDK's error back, at most one resend, a cause from
          // the catalogue; and bounded output, whatever came in. (Plain checks, kept cheap: this
          // runs 10,000 times.)
          const out = JSON.stringify([events, diagnosisOf(thrown)]) + lines.join("\n");
          const judged =
            thrown === error && attempts <= 2 && Object.hasOwn(CATALOGUE, diagnosis.cause);
          const bounded =
            events.length <= MAX_EVENTS_PER_INPUT && out.length <= MAX_OUTPUT_CHARS_PER_INPUT;
          if (!judged || !bounded) {
            throw new Error(
              `judged ${judged}, ${attempts} attempts, ${events.length} events, ${out.length} chars: ${JSON.stringify(body)}`,
            );
          }
          expect(out).not.toContain(secret);
          expect(out).not.toContain(headerSecret.secret);
        },
      ),
      { numRuns: CASES_PER_PROVIDER },
    );
  }, 120_000);
});
