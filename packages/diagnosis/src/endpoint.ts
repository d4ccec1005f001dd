/**
 * The offset store's key for an endpoint: `host[:port]`, lower-cased. One function for every
 * adapter, so that the token endpoint, the API and a presigned URL for the same host meet in
 * one estimate.
 */

/** Where a request goes: a URL, or the parts an SDK request object carries. */
export type EndpointLike =
  | string
  | URL
  | { hostname: string; port?: number | string | undefined; path?: string | undefined };

/**
 * The key of `target`, or undefined when it names no host. With `bucket` (S3), a
 * virtual-hosted bucket's name is cut off the host so that every bucket behind one endpoint
 * shares what was learned about its clock; a path-style request (its path starts with the
 * bucket) keeps its host whole, whatever the bucket is named.
 */
export function endpointKey(target: EndpointLike, bucket?: unknown): string | undefined {
  if (typeof target === "string" && bucket === undefined) return keyOfUrlText(target);
  return keyOf(target, bucket);
}

function keyOf(target: EndpointLike, bucket?: unknown): string | undefined {
  const parts = partsOf(target);
  if (!parts || parts.hostname === "") return undefined;
  let host = parts.hostname.toLowerCase();
  if (typeof bucket === "string" && bucket !== "" && !isPathStyle(parts.path, bucket)) {
    const prefix = `${bucket.toLowerCase()}.`;
    if (host.startsWith(prefix)) host = host.slice(prefix.length);
  }
  return parts.port ? `${host}:${parts.port}` : host;
}

/**
 * Keys by the text of a URL before its path. Parsing the URL of every request costs more than
 * the rest of an adapter's happy path, and a client sends to one or two origins: the key is a
 * function of that text alone (the host ends at the first "/", "\\", "?" or "#" after "//").
 */
const keysByOrigin = new Map<string, string | undefined>();
const ORIGINS_KEPT = 64;
/** The origin asked last, with its "/": most calls ask for it again, with no slice or hash. */
let last: { prefix: string; key: string | undefined } | undefined;

function keyOfUrlText(url: string): string | undefined {
  if (last !== undefined && url.startsWith(last.prefix)) return last.key;
  const afterScheme = url.indexOf("//");
  const end = afterScheme < 0 ? -1 : url.indexOf("/", afterScheme + 2);
  if (end < 0) return keyOf(url);
  const origin = url.slice(0, end);
  let key = keysByOrigin.get(origin);
  if (key === undefined && !keysByOrigin.has(origin)) {
    if (/[\\?#]/.test(origin)) return keyOf(url);
    key = keyOf(url);
    if (keysByOrigin.size >= ORIGINS_KEPT) keysByOrigin.clear();
    keysByOrigin.set(origin, key);
  }
  last = { prefix: url.slice(0, end + 1), key };
  return key;
}

function partsOf(
  target: EndpointLike,
): { hostname: string; port: string; path: string } | undefined {
  if (typeof target === "string" || target instanceof URL) {
    try {
      const url = typeof target === "string" ? new URL(target) : target;
      return { hostname: url.hostname, port: url.port, path: url.pathname };
    } catch {
      return undefined;
    }
  }
  if (typeof target?.hostname !== "string") return undefined;
  const port = target.port === undefined ? "" : String(target.port);
  return { hostname: target.hostname, port, path: target.path ?? "/" };
}

function isPathStyle(path: string, bucket: string): boolean {
  const first = path.replace(/^\/+/, "").split("/", 1)[0] ?? "";
  try {
    return decodeURIComponent(first) === bucket;
  } catch {
    return first === bucket;
  }
}
