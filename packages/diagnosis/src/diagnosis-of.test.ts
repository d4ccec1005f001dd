import { describe, expect, it } from "vitest";
import { attachDiagnosis, diagnosisOf } from "./diagnosis-of.js";
import { createEventSink } from "./emitter.js";
import type { SkewguardEvent } from "./events.js";
import { REDACTED } from "./redact.js";
import type { Diagnosis } from "./types.js";

const SIGNATURE = "8f3d1a0e6c2b9f7e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e";
const BEARER = "ya29.a0AfB_byC-xYz12_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcDEF_ghi";
const KEY_LINE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
const JWT_SIGNATURE = "tkW3-8Q_b9xZ_aK2-pL4mN6oR8sT0uV2wX4yZ6aB8cD0eF2gH4iJ6kL8mN0oP2q";

/** A diagnosis as diagnose() may make it of a hostile body: secrets in every text field. */
function hostileDiagnosis(): Diagnosis {
  const echo = `token ${BEARER} key ${KEY_LINE} sig ${JWT_SIGNATURE} signature ${SIGNATURE}`;
  return {
    cause: "secret-key-mismatch",
    confidence: "medium",
    summary: `The server said: ${echo}`,
    evidence: [
      { name: "message", value: echo },
      { name: "detail", value: `${"x ".repeat(2040)}${SIGNATURE}` },
    ],
    fixes: [echo],
    deadEnds: [],
    firstDifference: { field: "line 4", client: "ok", server: `x-goog-signature:${echo}` },
    checked: [echo],
    // Not on the allow-list: must not survive.
    ...({ rawBody: echo } as object),
  };
}

describe("attachDiagnosis / diagnosisOf", () => {
  it("the attached diagnosis is redacted exactly as the signature.diagnosed event carries it", () => {
    const events: SkewguardEvent[] = [];
    createEventSink({ onEvent: (e) => events.push(e) }).emit({
      type: "signature.diagnosed",
      time: "2026-11-23T10:00:00.000Z",
      provider: "gcs",
      host: "oauth2.googleapis.com:443",
      diagnosis: hostileDiagnosis(),
    } as SkewguardEvent);
    const error = attachDiagnosis(new Error("invalid_grant"), hostileDiagnosis());
    const attached = diagnosisOf(error);
    const emitted = (events[0] as { diagnosis?: Diagnosis }).diagnosis;
    expect(attached).toEqual(emitted);
    const text = JSON.stringify(attached);
    for (const secret of [SIGNATURE, BEARER, KEY_LINE, JWT_SIGNATURE]) {
      expect(text).not.toContain(secret.slice(0, 12));
      expect(text).not.toContain(secret.slice(-12));
    }
    expect(text).toContain(REDACTED);
    expect(text).not.toContain("rawBody");
  });

  it("is found on the error, or on the response an SDK error carries; never changes the error", () => {
    const error = new Error("refused");
    const keys = Object.keys(error);
    attachDiagnosis(error, hostileDiagnosis());
    expect(Object.keys(error)).toEqual(keys);
    expect(diagnosisOf(error)?.cause).toBe("secret-key-mismatch");
    const response = attachDiagnosis({ status: 403 }, hostileDiagnosis());
    expect(diagnosisOf({ response })?.cause).toBe("secret-key-mismatch");
    expect(diagnosisOf({ $response: response })?.cause).toBe("secret-key-mismatch");
    expect(diagnosisOf(new Error("other"))).toBeUndefined();
    expect(diagnosisOf("text")).toBeUndefined();
  });
});
