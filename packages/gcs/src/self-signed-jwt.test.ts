import { createPublicKey, verify } from "node:crypto";
import { testServiceAccount } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { restamp } from "./self-signed-jwt.js";

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("restamp", () => {
  const key = testServiceAccount().private_key;
  const header = b64({ alg: "RS256", typ: "JWT", kid: "k1" });
  const claims = { iss: "sa@p", sub: "sa@p", scope: "s", iat: 1_000, exp: 4_600 };
  const token = `${header}.${b64(claims)}.sig`;

  it("moves iat/exp to the server's clock, keeps every other claim and the header, signs RS256", () => {
    const serverNow = Date.parse("2026-11-23T10:20:30.900Z");
    const out = restamp(token, key, serverNow)!;
    const [h, p, s] = out.split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString()) as typeof claims;

    expect(h).toBe(header);
    expect(payload).toEqual({
      ...claims,
      iat: Math.floor(serverNow / 1000),
      exp: Math.floor(serverNow / 1000) + 3600,
    });
    const signed = Buffer.from(`${h}.${p}`);
    expect(verify("sha256", signed, createPublicKey(key), Buffer.from(s!, "base64url"))).toBe(true);
  });

  it("gives up on what is not a JWT", () => {
    expect(restamp("opaque-token", key, 0)).toBeUndefined();
    expect(restamp("a.%%%.c", key, 0)).toBeUndefined();
  });
});
