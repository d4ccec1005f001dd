import { readFileSync } from "node:fs";
import { generateBlobSasUrl, withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { type AzureTestServer, startAzureTestServer } from "@skewguard/testkit";
import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "azure-storage-blob-latest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The Node 22 leg for Azure: the newest `@azure/storage-blob` and the newest Azurite (npm
 * aliases installed in test/node22), through the same skew proxy, in the core scenario.
 */

const MINUTE = 60_000;

/** The version npm installed under an alias in test/node22/node_modules. */
function installedVersion(alias: string): string {
  const file = new URL(`./node_modules/${alias}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

let server: AzureTestServer;
beforeAll(async () => {
  server = await startAzureTestServer({
    // Resolved from here, where the aliased Azurite is installed.
    loadModule: (path) => import(`azurite-latest/dist/src/${path}.js`),
  });
});
afterAll(() => server?.close());

function client(wrapped: boolean) {
  const events: SkewguardEvent[] = [];
  const service = new BlobServiceClient(
    server.serviceUrl,
    new StorageSharedKeyCredential(server.accountName, server.accountKey),
  );
  if (wrapped) {
    withSkewRecovery(service, { offsets: new OffsetStore(), onEvent: (e) => events.push(e) });
  }
  return { service, events };
}

async function counted<T>(fn: () => Promise<T>): Promise<{ attempts: number; result: T }> {
  const before = server.attempts;
  const result = await fn();
  return { attempts: server.attempts - before, result };
}

describe("Node 22, the newest @azure/storage-blob and Azurite", () => {
  it("runs on Node 22 with @azure/storage-blob 12.34 and Azurite 3.37", async () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(installedVersion("azure-storage-blob-latest")).toBe("12.34.0");
    expect(installedVersion("azurite-latest")).toBe("3.37.0");
    server.setClockOffset(0);
    const { service } = client(false);
    const created = await service.getContainerClient("node22").createIfNotExists();
    // Azurite names itself in the responses the proxy relays.
    expect(created._response.headers.get("server")).toMatch(/Azurite-Blob\/3\.37\.0/);
  });

  it("server +20 min: bare fails in 1 attempt; wrapped heals in 2, then 1; bytes read back; SAS works", async () => {
    server.setClockOffset(0);
    await client(false).service.getContainerClient("node22").createIfNotExists();
    server.setClockOffset(20 * MINUTE);

    const bare = client(false).service.getContainerClient("node22").getBlockBlobClient("b.txt");
    const failed = await counted(() =>
      bare.upload("bare", 4).catch((e: unknown) => e as { statusCode?: number; code?: string }),
    );
    expect(failed.attempts).toBe(1);
    expect(failed.result).toMatchObject({ statusCode: 403, code: "AuthenticationFailed" });

    const { service, events } = client(true);
    const blob = service.getContainerClient("node22").getBlockBlobClient("w.bin");
    const payload = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7) % 256));
    expect((await counted(() => blob.upload(payload, payload.length))).attempts).toBe(2);
    const second = Buffer.from("second write, first try");
    expect((await counted(() => blob.upload(second, second.length))).attempts).toBe(1);
    const read = await counted(() => blob.downloadToBuffer());
    expect(read.result.equals(second)).toBe(true);
    expect(read.attempts).toBe(2); // properties, then the body: no resend
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
    );

    const sdkUrl = await blob.generateSasUrl({
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    expect((await fetch(sdkUrl)).status).toBe(403);
    const url = await generateBlobSasUrl(blob, {
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    const viaSas = await fetch(url);
    expect(viaSas.status).toBe(200);
    expect(Buffer.from(await viaSas.arrayBuffer()).equals(second)).toBe(true);
  });
});
