import * as sdk from "@azure/storage-blob";
import { type AzureTestServer, startAzureTestServer } from "@skewguard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const MINUTE = 60_000;

describe("Azurite behind the skew proxy", () => {
  let server: AzureTestServer;
  beforeAll(async () => {
    server = await startAzureTestServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.setClockOffset(0);
    server.resetLog();
  });

  const client = (key = server.accountKey) =>
    new sdk.BlobServiceClient(
      server.serviceUrl,
      new sdk.StorageSharedKeyCredential(server.accountName, key),
    );

  it("forwards a signed request when the clocks agree and stamps its own Date", async () => {
    server.setClockOffset(3 * MINUTE);
    const container = client().getContainerClient("proxy-ok");
    const created = await container.create();
    const blob = container.getBlockBlobClient("a.txt");
    await blob.upload("hello", 5);
    expect((await blob.downloadToBuffer()).toString()).toBe("hello");
    // downloadToBuffer asks for the properties first.
    expect(server.log.map((e) => `${e.method} ${e.status}`)).toEqual([
      "PUT 201",
      "PUT 201",
      "HEAD 200",
      "GET 206",
    ]);
    // Within the Date header's one-second resolution of the proxy's clock, not the real one.
    const served = created.date?.getTime() ?? 0;
    expect(Math.abs(served - (Date.now() + 3 * MINUTE))).toBeLessThan(2_000);
  });

  it("rejects the bare SDK at -20 and +20 minutes, once each, with the real shape", async () => {
    for (const offset of [-20 * MINUTE, 20 * MINUTE]) {
      server.setClockOffset(offset);
      const error = await client()
        .getContainerClient("proxy-skew")
        .create()
        .catch((e: unknown) => e as { statusCode?: number; code?: string; details?: unknown });
      expect(error).toMatchObject({ statusCode: 403, code: "AuthenticationFailed" });
      expect(JSON.stringify(error)).toMatch(/Request date header (too old|not yet valid)/);
    }
    expect(server.attempts).toBe(2);
    expect(server.log.every((e) => e.rejectedByProxy)).toBe(true);
  });

  it("turns Azurite's bare AuthorizationFailure into the MAC detail with the string to sign", async () => {
    const wrongKey = Buffer.from("not the key of this account").toString("base64");
    await client().getContainerClient("proxy-mac").createIfNotExists();
    server.resetLog();
    const error = (await client(wrongKey)
      .getContainerClient("proxy-mac")
      .getProperties()
      .catch((e: unknown) => e)) as { statusCode?: number; code?: string };
    expect(error.statusCode).toBe(403);
    const listError = (await client(wrongKey)
      .getContainerClient("proxy-mac")
      .listBlobsFlat()
      .next()
      .catch((e: unknown) => e)) as {
      code?: string;
      details?: { authenticationErrorDetail?: string };
    };
    expect(listError.code).toBe("AuthenticationFailed");
    const detail = listError.details?.authenticationErrorDetail ?? "";
    expect(detail).toMatch(/^The MAC signature found in the HTTP request '.+' is not the same/);
    expect(detail).toContain("Server used following string to sign: 'GET\n");
    expect(detail).toContain(
      "\n/devstoreaccount1/devstoreaccount1/proxy-mac\ncomp:list\nrestype:container'",
    );
    expect(server.attempts).toBe(2);
  });

  it("checks SAS windows on its own clock and lets Azurite verify the signature", async () => {
    const container = client().getContainerClient("proxy-sas");
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient("s.txt");
    await blob.upload("sas", 3);
    server.setClockOffset(30 * MINUTE);
    const url = await blob.generateSasUrl({
      permissions: sdk.BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    const rejected = await fetch(url);
    expect(rejected.status).toBe(403);
    expect(await rejected.text()).toContain("Signature not valid in the specified time frame");
    server.setClockOffset(0);
    const accepted = await fetch(url);
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe("sas");
    const forged = await fetch(url.replace(/sig=[^&]+/, "sig=AAAA"));
    expect(forged.status).toBe(403);
  });
});
