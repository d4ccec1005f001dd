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
import { type AzuriteProcess, startAzuriteProcess } from "@skewguard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "./fixtures.js";
import { libfaketimeFor } from "../faketime.js";

/**
 * SAS URLs fetched from Azurite itself running on the server's clock: a child process under
 * libfaketime, so the emulator's own `st`/`se` checks decide, with no proxy in between. The
 * drop-ins against the SDK's own `generateSasUrl`/`generateAccountSasUrl` at each skew.
 *
 * libfaketime is a Debian package; scripts/test.sh installs it and sets
 * SKEWGUARD_REQUIRE_FAKETIME, under which (and under CI) a missing library fails this suite.
 */

const libfaketime = libfaketimeFor("sas-server-clock.test.ts");

const CONTAINER = "sas-server-clock";
const SEED = "seed.txt";
const OK = 200;
const REFUSED = 403;

/**
 * What the bare SDK's URL gets at each skew, for a SAS asked to live 10 minutes from the local
 * now: with no `startsOn`, refused once the server is ahead by more than the lifetime; with
 * `startsOn: now` (the common pattern), refused too when the server is behind (not yet valid).
 */
const SKEWS = [
  { name: "-20 min", faketime: "-20m", offsetMs: -20 * MINUTE, bare: REFUSED, bareNoStart: OK },
  { name: "+20 min", faketime: "+20m", offsetMs: 20 * MINUTE, bare: REFUSED, bareNoStart: REFUSED },
  { name: "+2 h", faketime: "+2h", offsetMs: 2 * HOUR, bare: REFUSED, bareNoStart: REFUSED },
];

function serviceOn(azurite: AzuriteProcess): BlobServiceClient {
  return new BlobServiceClient(
    azurite.serviceUrl,
    new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
  );
}

/** A fresh wrapped client that knows nothing of the server's clock yet. */
function wrappedOn(azurite: AzuriteProcess): BlobServiceClient {
  return withSkewRecovery(serviceOn(azurite), { offsets: new OffsetStore() });
}

/** The SAS windows a caller computes on the local clock. */
function windows() {
  const now = Date.now();
  return {
    withStart: { startsOn: new Date(now), expiresOn: new Date(now + 10 * MINUTE) },
    noStart: { expiresOn: new Date(now + 10 * MINUTE) },
  };
}

/** `https://host/account/container?sas` plus a blob name: `https://host/account/container/blob?sas`. */
function blobUrl(containerSasUrl: string, blob: string): string {
  const url = new URL(containerSasUrl);
  url.pathname = `${url.pathname}/${blob}`;
  return url.toString();
}

/** The account SAS for one blob: the service URL's path extended, the query kept. */
function accountBlobUrl(accountSasUrl: string, path: string): string {
  const url = new URL(accountSasUrl);
  url.pathname = `${url.pathname.replace(/\/$/, "")}/${path}`;
  return url.toString();
}

async function putBlob(url: string, body: string): Promise<number> {
  const response = await fetch(url, {
    method: "PUT",
    headers: { "x-ms-blob-type": "BlockBlob" },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

interface Emulator {
  azurite: AzuriteProcess;
  /** The seed blob's snapshot, taken before it was overwritten. */
  snapshot: string;
}

/** One emulator per skew, started together (each takes about 2 s to come up). */
const emulators = new Map<string, Emulator>();

async function startSeeded(faketime: string): Promise<Emulator> {
  const azurite = await startAzuriteProcess({ faketime });
  // Azurite checks the SharedKey signature but not the age of x-ms-date: setup needs no help.
  const container = serviceOn(azurite).getContainerClient(CONTAINER);
  await container.create();
  const seed = container.getBlockBlobClient(SEED);
  await seed.upload("seed v1", 7);
  const snapshot = (await seed.createSnapshot()).snapshot ?? "";
  await seed.upload("seed v2", 7);
  return { azurite, snapshot };
}

describe.skipIf(!libfaketime)("SAS URLs on Azurite whose own clock is the server's", () => {
  beforeAll(async () => {
    const started = await Promise.allSettled(SKEWS.map(({ faketime }) => startSeeded(faketime)));
    for (const [index, result] of started.entries()) {
      if (result.status === "fulfilled") emulators.set(SKEWS[index]?.faketime ?? "", result.value);
    }
    const failure = started.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
  });
  afterAll(async () => {
    await Promise.all([...emulators.values()].map(({ azurite }) => azurite.close()));
  });

  describe.each(SKEWS)("the server clock $name", ({ faketime, offsetMs, bare, bareNoStart }) => {
    let azurite: AzuriteProcess;
    let snapshot: string;
    beforeAll(() => {
      const emulator = emulators.get(faketime);
      if (!emulator) throw new Error(`no emulator at ${faketime}`);
      ({ azurite, snapshot } = emulator);
    });

    it("the emulator's clock really is off by the skew (its Date header)", async () => {
      const response = await fetch(azurite.origin);
      await response.arrayBuffer();
      const serverNow = Date.parse(response.headers.get("date") ?? "");
      // Whole seconds in the header, plus the round trip.
      expect(Math.abs(serverNow - (Date.now() + offsetMs))).toBeLessThan(3_000);
    });

    it("generateContainerSasUrl: read 200, list 200, write 201 with the bytes stored", async () => {
      const container = wrappedOn(azurite).getContainerClient(CONTAINER);
      for (const window of Object.values(windows())) {
        const url = await generateContainerSasUrl(container, {
          permissions: ContainerSASPermissions.parse("rcwl"),
          ...window,
        });
        const read = await get(blobUrl(url, SEED));
        expect(read).toEqual({ status: OK, text: "seed v2" });
        const listed = await get(`${url}&restype=container&comp=list`);
        expect(listed.status).toBe(OK);
        expect(listed.text).toContain(`<Name>${SEED}</Name>`);
        const name = `container-sas-${offsetMs}-${"startsOn" in window ? "start" : "nostart"}.txt`;
        expect(await putBlob(blobUrl(url, name), "written through a container SAS")).toBe(201);
        const stored = await serviceOn(azurite)
          .getContainerClient(CONTAINER)
          .getBlockBlobClient(name)
          .downloadToBuffer();
        expect(stored.toString()).toBe("written through a container SAS");
      }
    });

    it("the SDK's containerClient.generateSasUrl at the same skew", async () => {
      const container = serviceOn(azurite).getContainerClient(CONTAINER);
      const { withStart, noStart } = windows();
      const permissions = ContainerSASPermissions.parse("rcwl");
      const started = await container.generateSasUrl({ permissions, ...withStart });
      expect((await get(blobUrl(started, SEED))).status).toBe(bare);
      const unstarted = await container.generateSasUrl({ permissions, ...noStart });
      expect((await get(blobUrl(unstarted, SEED))).status).toBe(bareNoStart);
      const name = `bare-container-sas-${offsetMs}.txt`;
      expect(await putBlob(blobUrl(started, name), "bare")).toBe(bare === OK ? 201 : REFUSED);
    });

    it("generateAccountSasUrl: read 200, write 201 with the bytes stored", async () => {
      const service = wrappedOn(azurite);
      const { withStart } = windows();
      const url = await generateAccountSasUrl(
        service,
        withStart.expiresOn,
        AccountSASPermissions.parse("rwc"),
        "sco",
        { startsOn: withStart.startsOn },
      );
      expect(await get(accountBlobUrl(url, `${CONTAINER}/${SEED}`))).toEqual({
        status: OK,
        text: "seed v2",
      });
      const name = `account-sas-${offsetMs}.txt`;
      expect(await putBlob(accountBlobUrl(url, `${CONTAINER}/${name}`), "via account SAS")).toBe(
        201,
      );
      const stored = await serviceOn(azurite)
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(name)
        .downloadToBuffer();
      expect(stored.toString()).toBe("via account SAS");

      // With no expiry given: the SDK's default hour, measured on the server's clock.
      const defaulted = await generateAccountSasUrl(
        service,
        undefined,
        AccountSASPermissions.parse("r"),
        "o",
      );
      const expiry = Date.parse(new URL(defaulted).searchParams.get("se") ?? "");
      expect(Math.abs(expiry - (Date.now() + offsetMs + HOUR))).toBeLessThan(5_000);
      expect((await get(accountBlobUrl(defaulted, `${CONTAINER}/${SEED}`))).status).toBe(OK);
    });

    it("the SDK's serviceClient.generateAccountSasUrl at the same skew", async () => {
      const { withStart, noStart } = windows();
      const service = serviceOn(azurite);
      const permissions = AccountSASPermissions.parse("rwc");
      const started = service.generateAccountSasUrl(withStart.expiresOn, permissions, "sco", {
        startsOn: withStart.startsOn,
      });
      expect((await get(accountBlobUrl(started, `${CONTAINER}/${SEED}`))).status).toBe(bare);
      const unstarted = service.generateAccountSasUrl(noStart.expiresOn, permissions, "sco");
      expect((await get(accountBlobUrl(unstarted, `${CONTAINER}/${SEED}`))).status).toBe(
        bareNoStart,
      );
    });

    it("a snapshot SAS (sr=bs) from generateBlobSasUrl reads the snapshot's bytes; the SDK's at the same skew", async () => {
      const blob = wrappedOn(azurite)
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(SEED)
        .withSnapshot(snapshot);
      const { withStart } = windows();
      const url = await generateBlobSasUrl(blob, {
        permissions: BlobSASPermissions.parse("r"),
        ...withStart,
      });
      expect(new URL(url).searchParams.get("sr")).toBe("bs");
      expect(await get(url)).toEqual({ status: OK, text: "seed v1" });

      const bareBlob = serviceOn(azurite)
        .getContainerClient(CONTAINER)
        .getBlockBlobClient(SEED)
        .withSnapshot(snapshot);
      const bareUrl = await bareBlob.generateSasUrl({
        permissions: BlobSASPermissions.parse("r"),
        ...withStart,
      });
      expect((await get(bareUrl)).status).toBe(bare);
    });
  });
});
