// The @skewguard/azure-blob README's snippet, run from the fresh project (argv[2]) against the
// testkit's Azurite behind the skew proxy, the proxy's clock 25 minutes behind this machine's:
// the wrapped client creates a container, uploads and downloads a blob, and a SAS URL from
// generateBlobSasUrl is fetched. Prints what the proxy counted; throws if anything a user
// would notice is wrong.
import { startAzureTestServer } from "../packages/testkit/dist/index.js";
import { expectAll, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const MINUTE = 60_000;
const server = await startAzureTestServer({ clockOffsetMs: -25 * MINUTE });

const userCode = `
import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { generateBlobSasUrl, withSkewRecovery } from "@skewguard/azure-blob";

const events = [];
const service = withSkewRecovery(
  new BlobServiceClient(process.env.AZURE_URL, new StorageSharedKeyCredential(process.env.AZURE_ACCOUNT, process.env.AZURE_KEY)),
  { onEvent: (event) => events.push(event.type) },
);
const container = service.getContainerClient("photos");
await container.createIfNotExists();
const blob = container.getBlockBlobClient("cat.jpg");
const bytes = Buffer.from("not really a cat, ".repeat(1000));
await blob.uploadData(bytes);
const downloaded = await blob.downloadToBuffer();

const sasUrl = await generateBlobSasUrl(blob, {
  permissions: BlobSASPermissions.parse("r"),
  expiresOn: new Date(Date.now() + 10 * 60_000),
});
const res = await fetch(sasUrl);
const fetched = Buffer.from(await res.arrayBuffer());
const sas = new URL(sasUrl).searchParams;
console.log(JSON.stringify({
  downloadedEqual: downloaded.equals(bytes),
  sasStatus: res.status,
  sasBodyEqual: fetched.equals(bytes),
  sasStart: sas.get("st"),
  sasExpiry: sas.get("se"),
  events,
}));
`;

try {
  const out = await runUserCode(project, "readme-azure-blob.mjs", userCode, {
    AZURE_URL: server.serviceUrl,
    AZURE_ACCOUNT: server.accountName,
    AZURE_KEY: server.accountKey,
  });
  const serverNow = server.clock.now();
  const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
  const livesMs = Date.parse(out.sasExpiry) - serverNow;
  expectAll("azure-blob snippet", {
    // createIfNotExists refused for its date, resent; uploadData; downloadToBuffer (properties,
    // then the range); the SAS GET.
    [`the first call refused once and resent, every later one sent once (got ${requests})`]:
      requests === "PUT 403, PUT 201, PUT 201, HEAD 200, GET 206, GET 200",
    "the first refusal was the proxy's clock check": server.log[0]?.rejectedByProxy === true,
    "the blob downloads byte for byte": out.downloadedEqual,
    [`the SAS URL fetches the blob (got ${out.sasStatus})`]:
      out.sasStatus === 200 && out.sasBodyEqual,
    [`the SAS lives about 10 minutes by the server's clock (got ${Math.round(livesMs / 1000)} s)`]:
      Math.abs(livesMs - 10 * MINUTE) < 5_000,
    "recovered once": out.events.filter((type) => type === "request.recovered").length === 1,
  });
  console.log(
    `${server.attempts} attempts at the proxy for 3 calls + 1 SAS GET (${requests}), SAS lives ${Math.round(livesMs / 1000)} s by the server's clock, events ${out.events.join(",")}`,
  );
} finally {
  await server.close();
}
