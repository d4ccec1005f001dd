import { diagnose } from "./diagnose.js";
import { readEvidence } from "./evidence.js";
import { toHeaderMap } from "./headers.js";
import type { Diagnosis, Provider, SignedFacts } from "./types.js";

/** A refused response as an application holds it. */
export interface RefusedResponse {
  provider: Provider;
  status: number;
  /** Any header shape: a fetch `Headers`, a plain object, Azure's `HttpHeaders`. */
  headers?: unknown;
  /** The error body as received (read up to 64 KiB). */
  body?: string;
  /** The endpoint, `host[:port]`, for the evidence. */
  host?: string;
  /** Local clock ms when the request left and the answer came: they bound the server's clock. */
  sentAt?: number;
  receivedAt?: number;
  /** What was signed, when known (the time written into the signature, the scope...). */
  signed?: SignedFacts;
  /** The request was authorised by a presigned URL, SAS or signed URL. */
  presigned?: boolean;
}

/**
 * The diagnosis of a refused response an application already holds: the same judge the
 * adapters use. Pure; never throws.
 *
 * @example
 * ```ts
 * const sentAt = Date.now();
 * const res = await fetch(url, { headers });
 * if (res.status === 403) {
 *   const d = diagnoseResponse({
 *     provider: "s3",
 *     status: res.status,
 *     headers: res.headers,
 *     body: await res.text(),
 *     sentAt,
 *     receivedAt: Date.now(),
 *   });
 *   console.error(d.cause, d.summary, d.fixes);
 * }
 * ```
 */
export function diagnoseResponse(response: RefusedResponse): Diagnosis {
  const sentAt = response.sentAt ?? response.receivedAt ?? 0;
  const observation = {
    provider: response.provider,
    host: response.host ?? "unknown",
    sentAt,
    receivedAt: response.receivedAt ?? sentAt,
    status: response.status,
    headers: toHeaderMap(response.headers),
    ...(response.body === undefined ? {} : { body: response.body }),
    ...(response.signed ? { signed: response.signed } : {}),
    ...(response.presigned ? { presigned: true } : {}),
  };
  const { facts } = readEvidence(observation);
  return diagnose({ observation, facts, resentOnCorrectedClock: false });
}
