// The @skewguard/azure-blob README's "Use" block, as written, run from the fresh project that
// installed the packed packages (argv[2]) against the testkit's Azurite behind the skew proxy,
// the proxy's clock 25 minutes behind this machine's: the wrapped client uploads a blob (refused
// for its date once, resent at once) and makes a SAS URL. After the README's code the blob is
// downloaded and the SAS URL fetched. The container is created beforehand, while the clocks
// agree, with the project's bare SDK. Prints what the proxy counted; throws if anything a user
// would notice is wrong.
import { createRequire } from "node:module";
import { join } from "node:path";
import { startAzureTestServer } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const MINUTE = 60_000;
const server = await startAzureTestServer({ clockOffsetMs: 0 });

const userCode = readmeProgram("readme-azure-blob-snippet.mjs", {
  prelude: `
const url = process.env.AZURE_URL;
const account = process.env.AZURE_ACCOUNT;
const key = process.env.AZURE_KEY;
const bytes = Buffer.from("not really a cat, ".repeat(1000));
`,
  epilogue: `
const $downloaded = await blob.downloadToBuffer();
const $res = await fetch(sasUrl);
const $fetched = Buffer.from(await $res.arrayBuffer());
const $sas = new URL(sasUrl).searchParams;
console.log(JSON.stringify({
  downloadedEqual: $downloaded.equals(bytes),
  sasStatus: $res.status,
  sasBodyEqual: $fetched.equals(bytes),
  sasStart: $sas.get("st"),
  sasExpiry: $sas.get("se"),
  events: $run.events,
}));
`,
});

try {
  // The README's blob lives in "photos": created with the user's bare SDK while the clocks agree.
  const { BlobServiceClient, StorageSharedKeyCredential } = createRequire(
    join(project, "package.json"),
  )("@azure/storage-blob");
  await new BlobServiceClient(
    server.serviceUrl,
    new StorageSharedKeyCredential(server.accountName, server.accountKey),
  )
    .getContainerClient("photos")
    .create();
  server.setClockOffset(-25 * MINUTE);
  server.resetLog();

  // The SAS is signed between these two readings of the server's clock: a slow machine must not
  // look like a wrong clock.
  const serverBefore = server.clock.now();
  const out = await runUserCode(project, "readme-azure-blob.mjs", userCode, {
    AZURE_URL: server.serviceUrl,
    AZURE_ACCOUNT: server.accountName,
    AZURE_KEY: server.accountKey,
  });
  const serverAfter = server.clock.now();
  const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
  // `se` is whole seconds: it may read up to a second before the bracket opened.
  const expiry = Date.parse(out.sasExpiry);
  const livesMs = expiry - serverBefore;
  expectAll("azure-blob snippet", {
    // uploadData refused for its date, resent; downloadToBuffer (properties, then the range);
    // the SAS GET. No probe for the SAS: the upload taught the clock.
    [`the upload refused once and resent, every later request sent once (got ${requests})`]:
      requests === "PUT 403, PUT 201, HEAD 200, GET 206, GET 200",
    "the first refusal was the proxy's clock check": server.log[0]?.rejectedByProxy === true,
    "the blob downloads byte for byte": out.downloadedEqual,
    [`the SAS URL fetches the blob (got ${out.sasStatus})`]:
      out.sasStatus === 200 && out.sasBodyEqual,
    [`the SAS expires 10 minutes after it was signed by the server's clock (se ${out.sasExpiry}, server from ${new Date(serverBefore).toISOString()} to ${new Date(serverAfter).toISOString()})`]:
      expiry >= serverBefore + 10 * MINUTE - 1_000 && expiry <= serverAfter + 10 * MINUTE,
    "recovered once": out.events.filter((type) => type === "request.recovered").length === 1,
  });
  console.log(
    `${server.attempts} attempts at the proxy for the upload + download + SAS GET (${requests}), SAS expires ${Math.round(livesMs / 1000)} s after the run began by the server's clock, events ${out.events.join(",")}`,
  );
} finally {
  await server.close();
}
