import { cutAt } from "./redact.js";
import type { ErrorFacts, TimeSource } from "./types.js";

/**
 * Error bodies worth reading are a few kilobytes; anything past this is not an error document
 * a storage service wrote, and reading it would only cost memory and time.
 */
export const DEFAULT_BODY_CAP_BYTES = 64 * 1024;

// Reused: encodeInto needs a destination, and allocating one per call would undo the point of a cap.
const encoder = new TextEncoder();

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `cap` bytes, never splitting a
 * character, nor leaving the start of a token the cut goes through (a secret cut at the cap
 * would otherwise leave a fragment too short for the redactor to recognise). Bodies above the
 * cap are cut, so a parser never looks past it (and a cut XML or JSON document then fails to
 * parse: no evidence rather than half-read evidence).
 */
export function readCapped(text: string, cap: number = DEFAULT_BODY_CAP_BYTES): string {
  const limit = Number.isFinite(cap) && cap > 0 ? Math.floor(cap) : 0;
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so short strings need no encoding at all.
  if (text.length * 3 <= limit) return text;
  // Every code unit takes at least one byte: nothing past `limit` code units can fit.
  const head = text.length > limit ? text.slice(0, limit) : text;
  const { read } = encoder.encodeInto(head, new Uint8Array(limit));
  return read === text.length ? text : cutAt(text, read);
}

/**
 * What a body parser read: the facts, and how finely the body stated the server's time (the
 * facts keep only the instant; the estimator needs the truncation width too).
 */
export interface ParsedErrorBody {
  facts: ErrorFacts;
  /** Resolution of `facts.serverTimeMs`, present exactly when it is. */
  serverTimeResolutionMs?: number;
  /** Where the body stated that time, when not in the provider's usual element. */
  timeSource?: TimeSource;
}

/** Trimmed text, or undefined when nothing is left: an empty element is no evidence. */
export function nonEmpty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

/** Sets an optional fact only when there is a value: `exactOptionalPropertyTypes` forbids undefined. */
export function setFact<K extends keyof ErrorFacts>(
  facts: ErrorFacts,
  key: K,
  value: ErrorFacts[K] | undefined,
): void {
  if (value !== undefined) facts[key] = value;
}
