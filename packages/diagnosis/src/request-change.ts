import type { FieldDifference } from "./signing-diff.js";
import type { Confidence, ErrorFacts, Observation } from "./types.js";

/**
 * Whether the request the service checked is the one that was signed, judged without the
 * client's own canonical request: a signed header that a proxy in front of the service owns,
 * a signed URL sent with another path, query or Content-Type than the server's canonical
 * request shows, an Azure string-to-sign with a form content type the caller did not set.
 */

/** Headers the proxies and CDNs in front of a service set or overwrite themselves. */
const PROXY_HEADERS: ReadonlySet<string> = new Set([
  "cf-ray",
  "cf-connecting-ip",
  "cf-ipcountry",
  "cf-visitor",
  "true-client-ip",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-real-ip",
  "via",
  "forwarded",
  "x-amzn-trace-id",
  "x-request-start",
]);

export interface RequestChange {
  difference: FieldDifference;
  confidence: Confidence;
  /** One sentence: why this difference breaks the signature. */
  why: string;
}

/** The change found, or undefined. */
export function requestChangedInTransit(
  obs: Observation,
  facts: ErrorFacts,
): RequestChange | undefined {
  const signed = obs.signed;
  const signedHeaders = signed?.signedHeaders ?? headerNames(signed?.canonicalRequest);
  const owned = signedHeaders?.find((h) => PROXY_HEADERS.has(h));
  if (owned) {
    const sent = signed?.headers?.[owned];
    const seen = obs.headers[owned];
    const differs = sent !== undefined && seen !== undefined && sent !== seen;
    return {
      difference: {
        field: `header:${owned}`,
        client: sent ?? "(signed)",
        server: differs ? `${seen} (the proxy's own value)` : "(set by the proxy on the way)",
      },
      confidence: differs ? "high" : "medium",
      why: `${owned} is a header the proxy in front of the service sets itself${differs ? ` (the answer came back with ${owned}: ${seen})` : ""}; signing it means the request checked is not the one signed.`,
    };
  }
  if (obs.presigned && facts.canonicalRequest !== undefined) {
    const server = facts.canonicalRequest.split("\n");
    const url = signed?.url === undefined ? undefined : urlParts(signed.url);
    if (url && server[1] !== undefined && server[1] !== url.path) {
      return {
        difference: { field: "path", client: url.path, server: server[1] },
        confidence: "high",
        why: "The path the server read is not the URL's: something re-encoded it on the way.",
      };
    }
    if (url && server[2] !== undefined && server[2] !== url.query) {
      return {
        difference: { field: "query", client: url.query, server: server[2] },
        confidence: "high",
        why: "The query the server read is not the URL's: something re-encoded or added a parameter.",
      };
    }
    const serverType = headerValue(facts.canonicalRequest, "content-type");
    if (serverType !== undefined && (signedHeaders?.includes("content-type") ?? true)) {
      const stated = signed?.headers?.["content-type"];
      if (stated !== undefined && stated !== serverType) {
        return {
          difference: { field: "header:content-type", client: stated, server: serverType },
          confidence: "high",
          why: `The URL was signed for Content-Type ${stated}; the request was sent with ${serverType}.`,
        };
      }
      if (stated === undefined) {
        return {
          difference: {
            field: "header:content-type",
            client: "(the type signed)",
            server: serverType,
          },
          confidence: "medium",
          why: `The URL signs the Content-Type: it must be sent with exactly the type it was signed with, and the server saw ${serverType}.`,
        };
      }
    }
  }
  if (
    obs.provider === "azure" &&
    facts.stringToSign !== undefined &&
    signed?.stringToSign === undefined
  ) {
    const type = facts.stringToSign.split("\n")[5];
    if (type === "application/x-www-form-urlencoded") {
      return {
        difference: { field: "header:content-type", client: "(not set)", server: type },
        confidence: "medium",
        why: "The server signed a form content type, which HTTP clients add by themselves (curl -d, a default body type): the signing code did not include it.",
      };
    }
  }
  return undefined;
}

/**
 * Whether the server's canonical request shows the request as it was sent: `proven` when it is
 * byte for byte the client's (or the signed URL's path and query), `likely` when it holds only
 * the headers an SDK sets and an ordinary path.
 */
export function requestUnchanged(
  obs: Observation,
  facts: ErrorFacts,
): "proven" | "likely" | undefined {
  const canonical = facts.canonicalRequest;
  if (canonical === undefined) return undefined;
  if (obs.signed?.canonicalRequest === canonical) return "proven";
  const lines = canonical.split("\n");
  if (obs.presigned && obs.signed?.url) {
    const url = urlParts(obs.signed.url);
    if (lines[1] === url.path && lines[2] === url.query) return "proven";
    return undefined;
  }
  const names = headerNames(canonical) ?? [];
  const sdkOnly = names.every(
    (h) =>
      h === "host" ||
      h.startsWith("x-amz-") ||
      h.startsWith("amz-sdk-") ||
      h === "content-md5" ||
      h === "content-length",
  );
  return sdkOnly && !/[+ ]|%2B/i.test(lines[1] ?? "") ? "likely" : undefined;
}

/** The signed header names of a canonical request (its `name:value` lines). */
function headerNames(canonical: string | undefined): string[] | undefined {
  if (canonical === undefined) return undefined;
  const names: string[] = [];
  for (const line of canonical.split("\n").slice(3)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon > 0) names.push(line.slice(0, colon).toLowerCase());
  }
  return names;
}

function headerValue(canonical: string, name: string): string | undefined {
  for (const line of canonical.split("\n").slice(3)) {
    if (line === "") break;
    if (line.toLowerCase().startsWith(`${name}:`)) return line.slice(name.length + 1);
  }
  return undefined;
}

/** A URL's path and its query as a SigV4 canonical query (signature dropped, sorted), as sent. */
function urlParts(url: string): { path: string; query: string } {
  const m = /^https?:\/\/[^/?#]+([^?#]*)(?:\?([^#]*))?/.exec(url);
  const path = m?.[1] || "/";
  const pairs = (m?.[2] ?? "")
    .split("&")
    .filter((p) => p !== "" && !/^(?:X-Amz-Signature|X-Goog-Signature)=/i.test(p))
    .map((p) => (p.includes("=") ? p : `${p}=`))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { path, query: pairs.join("&") };
}
