import type { Attributes, AttributeValue } from "@opentelemetry/api";
import { redactString, type EvidenceItem, type SkewguardEvent } from "@skewguard/diagnosis";
import { ATTRIBUTES } from "./constants.js";

/**
 * Flattens an event into OpenTelemetry attributes (which hold no nested objects). Only known
 * fields are copied and every string is scrubbed again: the handler is public, so an event may
 * reach it without having passed skewguard's own sink, and a trace backend keeps what it gets.
 */
export function eventAttributes(event: SkewguardEvent): Attributes {
  const out: Attributes = {};
  const put = (key: string, value: AttributeValue | undefined) => {
    const safe = sanitize(value);
    if (safe !== undefined) out[key] = safe;
  };
  put(ATTRIBUTES.provider, event.provider);
  put(ATTRIBUTES.host, event.host);
  put(ATTRIBUTES.operation, event.operation);
  put(ATTRIBUTES.requestId, event.requestId);
  put(ATTRIBUTES.offsetMs, event.offsetMs);
  put(ATTRIBUTES.offsetLowMs, event.offsetBoundsMs?.[0]);
  put(ATTRIBUTES.offsetHighMs, event.offsetBoundsMs?.[1]);
  putEvidence(put, event.evidence);
  switch (event.type) {
    case "skew.detected":
      put(ATTRIBUTES.skewMs, event.skewMs);
      put(ATTRIBUTES.sampleOutcome, event.sampleOutcome);
      break;
    case "skew.corrected":
      put(ATTRIBUTES.previousOffsetMs, event.previousOffsetMs);
      break;
    case "request.resigned":
      put(ATTRIBUTES.skewMs, event.skewMs);
      put(ATTRIBUTES.why, event.why);
      break;
    case "request.recovered":
      put(ATTRIBUTES.attempts, event.attempts);
      put(ATTRIBUTES.extraLatencyMs, event.extraLatencyMs);
      break;
    case "recovery.skipped":
      put(ATTRIBUTES.reason, event.reason);
      put(ATTRIBUTES.why, event.why);
      break;
    case "signature.diagnosed": {
      const { diagnosis } = event;
      put(ATTRIBUTES.cause, diagnosis.cause);
      put(ATTRIBUTES.confidence, diagnosis.confidence);
      put(ATTRIBUTES.summary, diagnosis.summary);
      put(ATTRIBUTES.fixes, diagnosis.fixes);
      put(ATTRIBUTES.deadEnds, diagnosis.deadEnds);
      put(ATTRIBUTES.checked, diagnosis.checked);
      put(ATTRIBUTES.firstDifferenceField, diagnosis.firstDifference?.field);
      put(ATTRIBUTES.firstDifferenceClient, diagnosis.firstDifference?.client);
      put(ATTRIBUTES.firstDifferenceServer, diagnosis.firstDifference?.server);
      // The diagnosis' evidence is the fuller set; it wins over the event's summary items.
      putEvidence(put, diagnosis.evidence);
      break;
    }
  }
  return out;
}

/** `serverTime` → `skewguard.evidence.server_time`: OpenTelemetry keys are snake_case. */
export function evidenceKey(name: string): string | undefined {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return snake === "" ? undefined : ATTRIBUTES.evidencePrefix + snake;
}

function putEvidence(
  put: (key: string, value: AttributeValue | undefined) => void,
  items: readonly EvidenceItem[] | undefined,
): void {
  if (!Array.isArray(items)) return;
  for (const item of items) {
    if (typeof item?.name !== "string") continue;
    const key = evidenceKey(item.name);
    if (key !== undefined) put(key, item.value);
  }
}

/** Scrubbed strings, finite numbers, booleans and homogeneous arrays of strings; nothing else. */
function sanitize(value: unknown): AttributeValue | undefined {
  if (typeof value === "string") return redactString(value);
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    const strings = value.filter((v): v is string => typeof v === "string").map(redactString);
    return strings.length > 0 ? strings : undefined;
  }
  return undefined;
}
