// The Azure part of the live demo: Azurite behind the testkit's skew proxy, 25 minutes behind.
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { startAzureTestServer } from "@skewguard/testkit";

const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");
// A key of the right shape from another environment.
const STAGING_KEY = Buffer.from("the staging account key, 32 bytes").toString("base64");

export const azure = {
  title: "Azure Blob Storage",
  sdk: "@azure/storage-blob",
  wrapper: "withSkewRecovery",
  serverOffsetMs: -25 * 60_000,
  secrets: [STAGING_KEY],

  start: (clockOffsetMs) => startAzureTestServer({ clockOffsetMs }),
  attempts: (server) => server.attempts,

  connect(server, { wrap, onEvent, key = server.accountKey }) {
    const credential = new StorageSharedKeyCredential(server.accountName, key);
    const service = new BlobServiceClient(server.serviceUrl, credential);
    return { client: wrap ? withSkewRecovery(service, { onEvent }) : service, close: () => {} };
  },

  calls: [
    {
      call: "create container reports",
      run: (service) => service.getContainerClient("reports").createIfNotExists(),
    },
    {
      call: "upload q4.csv",
      run: (service) => blobOf(service).upload(REPORT, REPORT.length),
    },
    {
      call: "download q4.csv",
      run: async (service) => {
        const bytes = await downloadOf(service);
        if (!bytes.equals(REPORT)) throw new Error("the bytes read back differ");
      },
    },
  ],

  wrongKey: {
    call: "download with the staging key",
    connect: (server, options) => azure.connect(server, { ...options, key: STAGING_KEY }),
    run: downloadOf,
  },

  errorCode: (error) => error.code ?? error.details?.errorCode ?? error.name,
  errorText(error) {
    // The message is the service's generic one; what a user digs for is the detail.
    const detail = error.details?.authenticationErrorDetail;
    const first = String(error.message).split("\n")[0];
    const code = `${error.name} ${error.statusCode} ${azure.errorCode(error)}`;
    return detail ? `${code}: "${detail}"; message: "${first}"` : `${code}: ${first}`;
  },
};

const blobOf = (service) => service.getContainerClient("reports").getBlockBlobClient("q4.csv");

/** One GET (`downloadToBuffer` would add a HEAD first). */
async function downloadOf(service) {
  const response = await blobOf(service).download();
  const chunks = [];
  for await (const chunk of response.readableStreamBody) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
