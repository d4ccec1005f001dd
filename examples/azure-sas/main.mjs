// azure-sas: a read-only SAS link to a blob, made on a machine whose clock is 20 minutes behind
// the storage server's. The SDK's `generateSasUrl` signs a window on the local clock, so its
// "10 minutes" ended 10 minutes ago by the server's clock; skewguard's `generateBlobSasUrl`
// takes the same options and signs the window on the server's clock. Both links are fetched.
import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { generateBlobSasUrl, withSkewRecovery } from "@skewguard/azure-blob";
import { startAzureTestServer } from "@skewguard/testkit";

const SERVER_AHEAD_MS = 20 * 60_000;
const TEN_MINUTES = 10 * 60_000;
const INVOICE = Buffer.from("%PDF-1.7 invoice 2026-0042\n");

// ---- What you write (the README's snippet) -------------------------------------------------

/** Two links to the same blob, asked to live 10 minutes: the SDK's and skewguard's. */
async function shareLinks(blob) {
  // Options as the SDK takes them; `expiresOn` computed on the local clock, as usual.
  const options = {
    permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + TEN_MINUTES),
  };
  const sdkUrl = await blob.generateSasUrl(options); // signed on this machine's clock
  const skewguardUrl = await generateBlobSasUrl(blob, options); // signed on the server's clock
  return { sdkUrl, skewguardUrl };
}

// ---- The run ------------------------------------------------------------------------------

/** Makes both links against one skewed server, fetches them, returns a summary. */
export async function main({ print = console.log } = {}) {
  // Azurite (Microsoft's emulator) behind a proxy whose clock is 20 minutes ahead.
  const server = await startAzureTestServer({ clockOffsetMs: SERVER_AHEAD_MS });
  try {
    print(`Storage server at ${server.serviceUrl}, its clock 20 min ahead of ours.`);
    // The app's client, wrapped: its first call teaches it the server's clock. (With nothing
    // learned yet, generateBlobSasUrl would first ask the server's clock with one HEAD.)
    const events = [];
    const service = withSkewRecovery(
      new BlobServiceClient(
        server.serviceUrl,
        new StorageSharedKeyCredential(server.accountName, server.accountKey),
      ),
      { onEvent: (event) => events.push(event) },
    );
    const container = service.getContainerClient("invoices");
    const blob = container.getBlockBlobClient("2026-0042.pdf");
    const setupBefore = server.attempts;
    await container.createIfNotExists();
    await blob.upload(INVOICE, INVOICE.length);
    const setupAttempts = server.attempts - setupBefore;
    print(`Container and blob created: ${setupAttempts} requests (the first one re-signed once).`);

    const { sdkUrl, skewguardUrl } = await shareLinks(blob);
    const sdk = await fetchLink(server, sdkUrl);
    const skewguard = await fetchLink(server, skewguardUrl);

    print(`\nLinks asked to live 10 minutes, fetched at once:`);
    printLink(print, "blob.generateSasUrl", sdk);
    printLink(print, "generateBlobSasUrl", skewguard);
    return {
      serverAheadMs: SERVER_AHEAD_MS,
      setupAttempts,
      sdk,
      skewguard,
      eventTypes: events.map((event) => event.type),
    };
  } finally {
    await server.close();
  }
}

/** Fetches a SAS link as a browser would, and reads its window against the server's clock. */
async function fetchLink(server, url) {
  const before = server.attempts;
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  const query = new URL(url).searchParams;
  const serverNow = server.clock.now();
  const expiresAt = Date.parse(query.get("se") ?? "");
  return {
    status: response.status,
    attempts: server.attempts - before,
    bytesMatch: response.ok ? body.equals(INVOICE) : undefined,
    detail: response.ok ? undefined : authenticationDetail(body.toString("utf8")),
    lifetimeLeftMs: expiresAt - serverNow,
    hasStart: query.has("st"),
  };
}

function authenticationDetail(xml) {
  return /<AuthenticationErrorDetail>([^<]*)<\/AuthenticationErrorDetail>/.exec(xml)?.[1];
}

function printLink(print, name, link) {
  const left = Math.round(link.lifetimeLeftMs / 60_000);
  const life = left >= 0 ? `valid ${left} more min` : `expired ${-left} min ago`;
  const outcome = link.status === 200 ? "200, the file" : `${link.status}: ${link.detail ?? ""}`;
  print(`  ${name.padEnd(20)} by the server's clock ${life.padEnd(20)} -> ${outcome}`);
}
