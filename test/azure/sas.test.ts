import {
  AccountSASPermissions,
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import {
  generateAccountSasUrl,
  generateBlobSasUrl,
  generateContainerSasUrl,
  withSkewRecovery,
} from "@skewguard/azure-blob";
import { OffsetStore } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import { HOUR, MINUTE, azureClient, azureServerPerFile, createContainer } from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "sas-urls";

const SKEWS = [
  { name: "+20 min", offsetMs: 20 * MINUTE },
  { name: "-20 min", offsetMs: -20 * MINUTE },
  { name: "+2 h", offsetMs: 2 * HOUR },
];

describe.each(SKEWS)("SAS URLs with the server clock $name", ({ offsetMs }) => {
  it("after learning: 200 for read and 201 for write, lifetime measured on the server's clock", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(offsetMs);
    const { service } = azureClient(server());
    const container = service.getContainerClient(CONTAINER);
    const blob = container.getBlockBlobClient(`read-${offsetMs}.txt`);
    await blob.upload("read me", 7); // learns the offset (2 attempts)

    const readUrl = await generateBlobSasUrl(blob, {
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    const read = await fetch(readUrl);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("read me");
    const query = new URL(readUrl).searchParams;
    const expiry = Date.parse(query.get("se") ?? "");
    const start = Date.parse(query.get("st") ?? "");
    const serverNow = server().clock.now();
    expect(Math.abs(expiry - (serverNow + 10 * MINUTE))).toBeLessThan(5_000);
    expect(Math.abs(start - (serverNow - 15 * MINUTE))).toBeLessThan(5_000);

    const target = container.getBlockBlobClient(`write-${offsetMs}.txt`);
    const writeUrl = await generateBlobSasUrl(target, {
      permissions: BlobSASPermissions.parse("cw"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    const write = await fetch(writeUrl, {
      method: "PUT",
      headers: { "x-ms-blob-type": "BlockBlob" },
      body: "written through a SAS",
    });
    expect(write.status).toBe(201);
    expect((await target.downloadToBuffer()).toString()).toBe("written through a SAS");
  });

  it("the SDK's own generateSasUrl on the same client is refused when the server is ahead", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(offsetMs);
    const { service } = azureClient(server());
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient(`sdk-${offsetMs}.txt`);
    await blob.upload("x", 1);
    const url = await blob.generateSasUrl({
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    const response = await fetch(url);
    // Behind the server, the SDK's URL is already expired; ahead, it lives 30 minutes, not 10.
    expect(response.status).toBe(offsetMs > 0 ? 403 : 200);
  });

  it("with nothing learned, one probe of the endpoint is enough (container and account SAS too)", async () => {
    await createContainer(server(), CONTAINER);
    const seed = new BlobServiceClient(
      server().serviceUrl,
      new StorageSharedKeyCredential(server().accountName, server().accountKey),
    );
    await seed.getContainerClient(CONTAINER).getBlockBlobClient("probe.txt").upload("probe", 5);
    server().setClockOffset(offsetMs);
    const service = withSkewRecovery(
      new BlobServiceClient(
        server().serviceUrl,
        new StorageSharedKeyCredential(server().accountName, server().accountKey),
      ),
      { offsets: new OffsetStore() },
    );
    const container = service.getContainerClient(CONTAINER);
    const before = server().attempts;
    const containerUrl = await generateContainerSasUrl(container, {
      permissions: ContainerSASPermissions.parse("rl"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    });
    expect(server().attempts - before).toBe(1); // the probe
    const listed = await fetch(`${containerUrl}&restype=container&comp=list`);
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain("<Name>probe.txt</Name>");

    const beforeAccount = server().attempts;
    const accountUrl = await generateAccountSasUrl(
      service,
      new Date(Date.now() + 10 * MINUTE),
      AccountSASPermissions.parse("r"),
      "o",
    );
    expect(server().attempts - beforeAccount).toBe(0); // learned: no second probe
    const blobPath = `${CONTAINER}/probe.txt`;
    const viaAccount = await fetch(accountUrl.replace("?", `/${blobPath}?`));
    expect(viaAccount.status).toBe(200);
    expect(await viaAccount.text()).toBe("probe");
  });
});
