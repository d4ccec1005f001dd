import { Storage } from "@google-cloud/storage";
import { diagnosisOf, withSkewRecovery } from "@skewguard/gcs";
import {
  generateTestPrivateKey,
  INVALID_JWT_TIME,
  redirectGoogleTokenRequests,
  testServiceAccount,
} from "@skewguard/testkit";
import { JWT } from "google-auth-library";
import { describe, expect, it } from "vitest";
import {
  accessTokenOf,
  expectNothingSecret,
  failureOf,
  gcsServer,
  MINUTE,
  recorder,
  SKEWS,
  storageFor,
} from "./fixtures.js";

describe.each(SKEWS)("service-account grants with the server clock %s", (_, skew) => {
  it("the bare SDK fails the first request with invalid_grant", async () => {
    const server = await gcsServer(skew);
    const storage = await storageFor(server, { wrap: false });
    const failure = await failureOf(storage.bucket("bkt").getFiles());
    expect(failure?.message).toBe(`invalid_grant: ${INVALID_JWT_TIME}`);
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
  });

  it("with skewguard: upload, download, list, metadata, delete succeed on 2 grants, then the token is reused", async () => {
    const server = await gcsServer(skew);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const bucket = storage.bucket("bkt");
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);

    await bucket.file("dir/a.bin").save(bytes, { resumable: false });
    const [downloaded] = await bucket.file("dir/a.bin").download();
    const [files] = await bucket.getFiles({ prefix: "dir/" });
    const [metadata] = await bucket.file("dir/a.bin").getMetadata();
    expect(server.counts.token).toBe(2);

    // A second round: the token granted on the corrected clock is reused.
    await bucket.file("dir/b.txt").save("second", { resumable: false });
    const [again] = await bucket.file("dir/b.txt").download();
    await bucket.file("dir/a.bin").delete();
    await bucket.file("dir/b.txt").delete();

    expect(downloaded.equals(bytes)).toBe(true);
    expect(again.toString()).toBe("second");
    expect(files.map((f) => f.name)).toEqual(["dir/a.bin"]);
    expect(metadata.size).toBe(String(bytes.length));
    expect(server.objects.size).toBe(0);
    expect(server.counts).toEqual({ token: 2, json: 8, xml: 0 });

    const host = new URL(server.url).host;
    expect(rec.types()).toEqual(
      expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
    );
    const recovered = rec.events.find((e) => e.type === "request.recovered");
    expect(recovered).toMatchObject({
      provider: "gcs",
      host,
      operation: "token.grant",
      attempts: 2,
    });
    // The learned offset is the server's skew, to within the Date header's second.
    expect(Math.abs((recovered?.offsetMs ?? 0) - skew)).toBeLessThan(2_000);
    expect(rec.types().filter((t) => t === "request.resigned")).toHaveLength(1);
    expectNothingSecret(
      [...rec.events.map((e) => JSON.stringify(e)), ...rec.lines],
      [(await accessTokenOf(storage)) ?? "no token"],
    );
  });
});

describe("passive sampling", () => {
  it("a successful grant alone teaches the token endpoint's clock (gaxios interceptors)", async () => {
    const server = await gcsServer(3 * MINUTE); // inside the grant window: no refusal
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const client = (await storage.authClient.getClient()) as unknown as {
      getAccessToken(): Promise<unknown>;
    };
    await client.getAccessToken();
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
    const learned = rec.options.offsets?.get(new URL(server.url).host);
    expect(Math.abs((learned?.offsetMs ?? 0) - 3 * MINUTE)).toBeLessThan(1_500);
    expect(rec.types()).toContain("skew.detected");
  });
});

describe("a JWT given as authClient", () => {
  it("is hooked when the Storage is wrapped: 2 grants at -20 min, then reuse", async () => {
    const server = await gcsServer(-20 * MINUTE);
    const account = testServiceAccount();
    const jwt = new JWT({
      email: account.client_email,
      key: account.private_key,
      scopes: ["https://www.googleapis.com/auth/devstorage.full_control"],
    });
    redirectGoogleTokenRequests(jwt, server.tokenUrl);
    const storage = withSkewRecovery(
      new Storage({ apiEndpoint: server.url, useAuthWithCustomEndpoint: true, authClient: jwt }),
      recorder().options,
    );
    await storage.bucket("bkt").file("j").save("jwt", { resumable: false });
    const [data] = await storage.bucket("bkt").file("j").download();
    expect(data.toString()).toBe("jwt");
    expect(server.counts).toEqual({ token: 2, json: 2, xml: 0 });
  });
});

describe("concurrency and failures that are not the clock", () => {
  it("50 concurrent first requests from a fresh client at +20 min: none fails, 2 grants", async () => {
    const server = await gcsServer(20 * MINUTE);
    for (let i = 0; i < 50; i++) server.objects.set(`bkt/o${i}`, Buffer.from(`v${i}`));
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => storage.bucket("bkt").file(`o${i}`).download()),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toHaveLength(0);
    const texts = results.map((r) => (r.status === "fulfilled" ? r.value[0].toString() : ""));
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(server.counts.token).toBe(2);
    expect(server.counts.json).toBe(50);
  });

  it("a wrong key with agreeing clocks: 1 grant, a diagnosis naming the key, no resend", async () => {
    const server = await gcsServer(0);
    const rec = recorder();
    const storage = await storageFor(server, {
      wrap: rec.options,
      privateKey: generateTestPrivateKey(),
    });
    const failure = await failureOf(storage.bucket("bkt").getFiles());

    expect(failure?.message).toBe("invalid_grant: Invalid JWT Signature.");
    expect(server.counts).toEqual({ token: 1, json: 0, xml: 0 });
    const diagnosis = diagnosisOf(failure);
    expect(diagnosis?.cause).toBe("secret-key-mismatch");
    expect(diagnosis?.summary).toMatch(/key/i);
    expect(rec.types()).not.toContain("request.resigned");
    expect(rec.types()).toContain("signature.diagnosed");
    // The diagnosis on the error is redacted like the events: the refused JWT stays out.
    expectNothingSecret(
      [...rec.events.map((e) => JSON.stringify(e)), ...rec.lines, JSON.stringify(diagnosis)],
      [],
    );
  });

  it("a wrong key with a skewed clock: one corrective grant, then the key is named and nothing more is sent", async () => {
    const server = await gcsServer(20 * MINUTE);
    const rec = recorder();
    const storage = await storageFor(server, {
      wrap: rec.options,
      privateKey: generateTestPrivateKey(),
    });
    const failure = await failureOf(storage.bucket("bkt").getFiles());

    expect(failure?.message).toBe("invalid_grant: Invalid JWT Signature.");
    // The refusal names no time, but the JWT was stamped 20 minutes off: worth one resend.
    expect(server.counts).toEqual({ token: 2, json: 0, xml: 0 });
    expect(diagnosisOf(failure)?.cause).toBe("secret-key-mismatch");
    expectNothingSecret([JSON.stringify(diagnosisOf(failure))], []);
    expect(rec.types().filter((t) => t === "request.resigned")).toHaveLength(1);
    expect(rec.types()).not.toContain("request.recovered");

    // The clock is known now: a second call signs right and the refusal is not resent.
    await failureOf(storage.bucket("bkt").getFiles());
    expect(server.counts.token).toBe(3);
    expect(rec.types().filter((t) => t === "request.resigned")).toHaveLength(1);
    expectNothingSecret([...rec.events.map((e) => JSON.stringify(e)), ...rec.lines], []);
  });

  it("the clock stepping after a grant: the next grant is refused, learned from and redone at once", async () => {
    const server = await gcsServer(0);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    await storage.bucket("bkt").file("x").save("1", { resumable: false });
    expect(server.counts.token).toBe(1);

    server.setClockOffset(-20 * MINUTE);
    server.revokeTokens();
    const client = (await storage.authClient.getClient()) as unknown as {
      credentials: { expiry_date?: number };
    };
    client.credentials.expiry_date = 1; // as after an hour: the next request grants again
    const [data] = await storage.bucket("bkt").file("x").download();

    expect(data.toString()).toBe("1");
    expect(server.counts.token).toBe(3);
    expect(rec.types()).toContain("request.recovered");
  });
});
