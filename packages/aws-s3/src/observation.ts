import type { HeaderMap, Observation, SignedFacts } from "@skewguard/diagnosis";
import { HttpResponse } from "@smithy/protocol-http";

/** What the middleware knows about one attempt before it learns the outcome. */
export interface AttemptFacts {
  host: string;
  operation?: string;
  sentAt: number;
  receivedAt: number;
  offsetMs: number;
  resent: boolean;
  /** What the signed request said, when the capture middleware saw it. */
  signed?: SignedFacts;
}

/**
 * The endpoint an offset belongs to: `host[:port]`. A virtual-hosted bucket name is cut off so
 * that every bucket behind one endpoint shares what was learned about its clock; a path-style
 * request (the path starts with the bucket) keeps its host whole, whatever the bucket is named.
 */
export function endpointKey(
  hostname: string,
  port: number | string | undefined,
  bucket?: unknown,
  path = "/",
): string {
  let host = hostname.toLowerCase();
  if (typeof bucket === "string" && bucket && !isPathStyle(path, bucket)) {
    const prefix = `${bucket.toLowerCase()}.`;
    if (host.startsWith(prefix)) host = host.slice(prefix.length);
  }
  return port ? `${host}:${port}` : host;
}

function isPathStyle(path: string, bucket: string): boolean {
  const first = path.replace(/^\/+/, "").split("/", 1)[0] ?? "";
  try {
    return decodeURIComponent(first) === bucket;
  } catch {
    return first === bucket;
  }
}

/** A successful attempt, as the core sees it. */
export function observeResponse(response: unknown, attempt: AttemptFacts): Observation | undefined {
  if (!HttpResponse.isInstance(response)) return undefined;
  return base(attempt, response.statusCode, response.headers);
}

/**
 * A failed attempt. The SDK has already read the error body into properties of the error
 * (`Code`, `ServerTime`, `StringToSign`...): they travel as `fields`. Errors with no
 * response (a reset connection) are not observations.
 */
export function observeError(error: unknown, attempt: AttemptFacts): Observation | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const response = (error as { $response?: unknown }).$response;
  if (!HttpResponse.isInstance(response)) return undefined;
  const obs = base(attempt, response.statusCode, response.headers);
  return { ...obs, fields: errorFields(error) };
}

function base(attempt: AttemptFacts, status: number, headers: HeaderMap): Observation {
  return {
    provider: "s3",
    host: attempt.host,
    ...(attempt.operation ? { operation: attempt.operation } : {}),
    sentAt: attempt.sentAt,
    receivedAt: attempt.receivedAt,
    status,
    headers: lowerCase(headers),
    signed: {
      signedAtMs: attempt.sentAt + attempt.offsetMs,
      ...attempt.signed,
      offsetMs: attempt.offsetMs,
    },
    resent: attempt.resent,
  };
}

function lowerCase(headers: HeaderMap): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * Own string-valued properties of an SDK error: the parsed error body (`Code`, `ServerTime`,
 * ...) and nothing else. The error's `name` is not taken for a code: for a bodiless answer (a
 * HEAD 403) the SDK invents one (`Unknown`) that the server never said.
 */
function errorFields(error: object): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(error)) {
    if (typeof value === "string" && !name.startsWith("$") && name !== "name") {
      fields[name] = value;
    }
  }
  if (fields.Code === undefined) delete fields.message;
  return fields;
}
