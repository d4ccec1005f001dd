import { createSign } from "node:crypto";
import type { SigningTarget, SkewRecovery } from "@skewguard/diagnosis/adapter";
import { PROBE_OPERATION } from "./constants.js";
import { endpointOf } from "./endpoints.js";

/** google-auth-library's `JWTAccess`: makes the self-signed JWT sent to the API as the token. */
interface JwtAccessLike {
  getRequestHeaders(...args: unknown[]): unknown;
}

interface SelfSigningClient {
  key?: unknown;
  access?: JwtAccessLike;
  getRequestMetadataAsync?: (...args: unknown[]) => Promise<RequestMetadata>;
}

/** What `JWT#getRequestMetadataAsync` resolves to. */
interface RequestMetadata {
  headers?: unknown;
}

interface HeadersLike {
  get(name: string): string | null;
}

/** Offsets below this are left alone: not worth an RSA signature per token. */
const RESTAMP_ABOVE_MS = 1_000;

/**
 * Self-signed JWT mode (a universe other than googleapis.com, `useJWTAccessWithScope`):
 * `JWTAccess` stamps the token with `Date.now()` and refuses `iat`/`exp` in additional claims,
 * so the token it makes is re-stamped on the storage endpoint's clock and re-signed with the
 * client's key. Nothing else in the token changes.
 *
 * The client creates its `JWTAccess` lazily, inside `getRequestMetadataAsync`, so that method is
 * wrapped: the call that creates it has its headers re-stamped, and the instance is wrapped for
 * the calls after. Not an accessor on `access`: redefining that data property as an accessor
 * turns the client into a dictionary-mode object, and the library reads its properties on every
 * request (a download 0.5-1 % slower in `pnpm bench`, self-signed or not).
 */
export function hookSelfSignedJwts(
  client: object,
  recovery: SkewRecovery,
  apiEndpoint: string,
): void {
  const holder = client as SelfSigningClient;
  const host = endpointOf(apiEndpoint);
  if (host === undefined || typeof holder.getRequestMetadataAsync !== "function") return;
  const restampHeaders = restamper(holder, recovery, {
    url: apiEndpoint,
    host,
    operation: PROBE_OPERATION,
  });
  const wrapped = new WeakSet<object>();
  const adopt = (access: JwtAccessLike | undefined): void => {
    if (typeof access?.getRequestHeaders !== "function" || wrapped.has(access)) return;
    wrapped.add(access);
    wrapAccess(access, restampHeaders);
  };
  adopt(holder.access);

  const original = holder.getRequestMetadataAsync.bind(client);
  holder.getRequestMetadataAsync = (...args: unknown[]) => {
    const before = holder.access;
    if (before !== undefined) {
      adopt(before);
      return original(...args);
    }
    const pending = original(...args);
    // The library creates `access` before its first `await`, so it is there now if this call
    // took the self-signed path. Otherwise (a token grant's bearer) the call is left alone; a
    // library that created it later would have this one call's token go out as it made it.
    const made = holder.access;
    if (made === undefined) return pending;
    adopt(made);
    return pending.then(async (metadata) => {
      const headers = await restampHeaders(metadata?.headers);
      return headers === metadata?.headers ? metadata : { ...metadata, headers };
    });
  };
}

/** Headers with their self-signed bearer re-stamped on the endpoint's clock, else the same. */
type Restamper = (headers: unknown) => Promise<unknown>;

function restamper(
  client: SelfSigningClient,
  recovery: SkewRecovery,
  target: SigningTarget,
): Restamper {
  let last: { from: string; offsetMs: number; to: string } | undefined;
  return async (headers) => {
    const token = bearerOf(headers);
    if (typeof client.key !== "string" || token === undefined) return headers;
    const offsetMs = await recovery.serverOffsetMs(target);
    if (Math.abs(offsetMs) < RESTAMP_ABOVE_MS) return headers;
    // `JWTAccess` caches its token for most of an hour: so does this, per token and offset.
    if (last?.from !== token || Math.abs(last.offsetMs - offsetMs) >= RESTAMP_ABOVE_MS) {
      const serverNow = recovery.clock.now() + offsetMs;
      const to = restamp(token, client.key, serverNow);
      if (to === undefined) return headers;
      last = { from: token, offsetMs, to };
    }
    return withBearer(headers, last.to);
  };
}

function wrapAccess(access: JwtAccessLike, restampHeaders: Restamper): void {
  const original = access.getRequestHeaders.bind(access);
  access.getRequestHeaders = async (...args: unknown[]) => restampHeaders(await original(...args));
}

/** The same JWT with `iat` at `serverNowMs` and its lifetime kept, signed RS256 again. */
export function restamp(token: string, key: string, serverNowMs: number): string | undefined {
  const [header, payload] = token.split(".");
  if (header === undefined || payload === undefined) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
  const lifetime =
    typeof claims["exp"] === "number" && typeof claims["iat"] === "number"
      ? claims["exp"] - claims["iat"]
      : 3600;
  const iat = Math.floor(serverNowMs / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + lifetime })).toString(
    "base64url",
  );
  const signature = createSign("RSA-SHA256").update(`${header}.${body}`).sign(key, "base64url");
  return `${header}.${body}.${signature}`;
}

function bearerOf(headers: unknown): string | undefined {
  let value: unknown;
  if (typeof (headers as HeadersLike | null)?.get === "function") {
    value = (headers as HeadersLike).get("authorization");
  } else if (headers !== null && typeof headers === "object") {
    const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization");
    value = entry?.[1];
  }
  return typeof value === "string" ? /^Bearer\s+(\S+)$/i.exec(value)?.[1] : undefined;
}

/** A copy with the new token: the original object is `JWTAccess`'s cache entry. */
function withBearer(headers: unknown, token: string): unknown {
  if (typeof Headers !== "undefined" && headers instanceof Headers) {
    const copy = new Headers(headers);
    copy.set("authorization", `Bearer ${token}`);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    copy[name] = name.toLowerCase() === "authorization" ? `Bearer ${token}` : value;
  }
  return copy;
}
