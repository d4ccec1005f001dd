import { diagnosisOf, OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { describe, expect, it } from "vitest";
import { grantEndpoints } from "./endpoints.js";
import { hookTokenGrants } from "./token-grant.js";

const LOCAL_NOW = Date.parse("2026-11-23T10:00:00.250Z");
const TIME_COMPLAINT =
  "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/**
 * A stand-in for google-auth-library's JWT: its gtoken merges additional claims over its own
 * `iat`/`exp` as gtoken 7 does, and a token endpoint whose clock is `skewMs` ahead refuses
 * JWTs more than 5 minutes off, answering like gaxios 7 (a `Headers` object).
 */
function fakeJwt(skewMs: number, refuse?: string, shape: GTokenShape = "gtoken7") {
  const grants: Array<{ iat: number; exp: number }> = [];
  const gtoken: {
    additionalClaims?: Record<string, unknown>;
    tokenOptions?: { additionalClaims?: Record<string, unknown> };
  } = shape === "inlined" ? { tokenOptions: {} } : {};
  const client = {
    additionalClaims: { sub_claim: "kept" } as Record<string, unknown>,
    createGToken: () => gtoken,
    refreshTokenNoCache: async () => {
      const g = client.createGToken();
      const iat = Math.floor(LOCAL_NOW / 1000);
      // google-auth-library 10+ spreads `tokenOptions.additionalClaims` over its own.
      const extra =
        shape === "inlined" ? { ...g.tokenOptions?.additionalClaims } : g.additionalClaims;
      const claims = Object.assign({ iat, exp: iat + 3600 }, extra);
      grants.push(claims);
      const serverNow = LOCAL_NOW + skewMs;
      const description =
        refuse ?? (Math.abs(claims.iat * 1000 - serverNow) > 300_000 ? TIME_COMPLAINT : undefined);
      if (description === undefined) return { tokens: { access_token: "ya29.secret" } };
      throw Object.assign(new Error(`invalid_grant: ${description}`), {
        config: {
          url: new URL("https://oauth2.example.test/token"),
          data: { assertion: "eyJ.x.y" },
        },
        response: {
          status: 400,
          headers: new Headers({ date: new Date(serverNow).toUTCString() }),
          data: { error: "invalid_grant", error_description: description },
        },
      });
    },
  };
  return { client, grants };
}

/** `gtoken7`: google-auth-library 9's gtoken package; `inlined`: google-auth-library 10+'s own. */
type GTokenShape = "gtoken7" | "inlined";

function setup(skewMs: number, refuse?: string, shape?: GTokenShape) {
  const events: SkewguardEvent[] = [];
  const recovery = new SkewRecovery("gcs", {
    clock: { now: () => LOCAL_NOW },
    offsets: new OffsetStore({ clock: { now: () => LOCAL_NOW } }),
    onEvent: (e) => events.push(e),
  });
  const { client, grants } = fakeJwt(skewMs, refuse, shape);
  hookTokenGrants(client, recovery, grantEndpoints("https://storage.example.test"));
  return { client, grants, events, recovery };
}

describe("hookTokenGrants", () => {
  it("re-grants once at once, stamped on the clock the refusal's Date showed", async () => {
    const { client, grants, events, recovery } = setup(-20 * 60_000);
    await expect(client.refreshTokenNoCache()).resolves.toMatchObject({ tokens: {} });

    expect(grants).toHaveLength(2);
    // The Date header truncates to the second: the corrected iat is within one second.
    expect(grants[1]!.iat * 1000 - (LOCAL_NOW - 20 * 60_000)).toBeGreaterThanOrEqual(-1000);
    expect(grants[1]!.iat * 1000 - (LOCAL_NOW - 20 * 60_000)).toBeLessThanOrEqual(1000);
    expect(grants[1]!.exp - grants[1]!.iat).toBe(3600);
    // Learned under the host the refusal came from, and stamped with exactly that offset.
    const learned = recovery.offsets.get("oauth2.example.test");
    expect(learned).toBeDefined();
    expect(grants[0]!.iat).toBe(Math.floor(LOCAL_NOW / 1000));
    expect(grants[1]!.iat).toBe(Math.floor((LOCAL_NOW + (learned?.offsetMs ?? 0)) / 1000));
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["request.resigned", "request.recovered"]),
    );
    expect(events.find((e) => e.type === "request.recovered")).toMatchObject({
      host: "oauth2.example.test",
      operation: "token.grant",
      attempts: 2,
    });
    expect(JSON.stringify(events)).not.toMatch(/eyJ|ya29|secret/);
  });

  it("a grant made outside the hook is stamped on the learned clock", async () => {
    const { client, recovery } = setup(-20 * 60_000);
    await client.refreshTokenNoCache();
    const learned = recovery.offsets.get("oauth2.example.test")?.offsetMs ?? 0;
    // What gtoken does at a grant of its own (`gtoken.getToken()` called directly).
    const gtoken = client.createGToken();
    const claims = { iat: 0, exp: 0, ...gtoken.additionalClaims };
    expect(claims.iat).toBe(Math.floor((LOCAL_NOW + learned) / 1000));
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it("concurrent grants each carry their own attempt's offset", async () => {
    const { client, grants, recovery } = setup(-20 * 60_000);
    await client.refreshTokenNoCache(); // learns the offset: 2 grants
    const learned = recovery.offsets.get("oauth2.example.test")?.offsetMs ?? 0;
    const results = await Promise.all([
      client.refreshTokenNoCache(),
      client.refreshTokenNoCache(),
      client.refreshTokenNoCache(),
    ]);
    expect(results).toHaveLength(3);
    expect(grants).toHaveLength(5);
    for (const grant of grants.slice(2)) {
      expect(grant.iat).toBe(Math.floor((LOCAL_NOW + learned) / 1000));
    }
  });

  it("stamps google-auth-library 10+'s inlined gtoken through its tokenOptions", async () => {
    const { client, grants } = setup(20 * 60_000, undefined, "inlined");
    await expect(client.refreshTokenNoCache()).resolves.toMatchObject({ tokens: {} });
    expect(grants).toHaveLength(2);
    expect(Math.abs(grants[1]!.iat * 1000 - (LOCAL_NOW + 20 * 60_000))).toBeLessThanOrEqual(1000);
    expect(grants[1]).toMatchObject({ sub_claim: "kept" });
  });

  it("later grants start on the learned clock: one request each", async () => {
    const { client, grants } = setup(70 * 60_000);
    await client.refreshTokenNoCache();
    await client.refreshTokenNoCache();
    expect(grants).toHaveLength(3);
  });

  it("does not resend a refusal that is not about time when the clock is right", async () => {
    const { client, grants, events } = setup(0, "Invalid JWT Signature.");
    const failure = await client.refreshTokenNoCache().catch((e: unknown) => e);
    expect(grants).toHaveLength(1);
    expect((failure as Error).message).toBe("invalid_grant: Invalid JWT Signature.");
    const diagnosis = diagnosisOf(failure);
    expect(diagnosis?.cause).toBe("secret-key-mismatch");
    // Redacted like an event: the refused request's JWT and any token stay out of it.
    expect(JSON.stringify(diagnosis)).not.toMatch(/eyJ|ya29|Bearer/);
    expect(events.map((e) => e.type)).not.toContain("request.resigned");
  });

  it("rethrows errors without a response untouched (a key that cannot be read)", async () => {
    const { client } = setup(0);
    const broken = new Error("No key or keyFile set.");
    client.refreshTokenNoCache = async () => {
      throw broken;
    };
    hookTokenGrants(client, setup(0).recovery, grantEndpoints(undefined));
    await expect(client.refreshTokenNoCache()).rejects.toBe(broken);
  });
});
