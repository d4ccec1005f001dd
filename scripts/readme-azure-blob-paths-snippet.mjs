// The @skewguard/azure-blob README's "Every path" blocks, container SAS to downloadToBuffer, as
// written, run from the fresh project that installed the packed packages (argv[2]) against the
// testkit's Azurite behind the skew proxy, the proxy's clock 25 minutes ahead of this machine's:
// three SAS URLs are made and fetched, a stream, parallel blocks and staged blocks uploaded and
// read back. The container and "cat.jpg" are created beforehand, while the clocks agree, with the
// project's bare SDK. Prints what the proxy counted; throws if anything a user would notice is
// wrong.
import { createRequire } from "node:module";
import { join } from "node:path";
import { startAzureTestServer } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const MINUTE = 60_000;
const CAT = "a cat, or so the name says";
const server = await startAzureTestServer({ clockOffsetMs: 0 });

const userCode = readmeProgram("readme-azure-blob-paths-snippet.mjs", {
  prelude: `
import { writeFileSync as $writeFileSync } from "node:fs";
const url = process.env.AZURE_URL;
const account = process.env.AZURE_ACCOUNT;
const key = process.env.AZURE_KEY;
const bytes = Buffer.from("block bytes, ".repeat(2000));
const $video = Buffer.alloc(9 * 1024 * 1024, 7); // three 4 MiB buffers' worth
$writeFileSync("holiday.mp4", $video);
`,
  epilogue: `
const $text = async (target) => {
  const response = await fetch(target);
  return { status: response.status, text: await response.text() };
};
const $accountCat = new URL(accountSasUrl);
$accountCat.pathname += "/photos/cat.jpg";
console.log(JSON.stringify({
  containerSas: { status: cat.status, text: await cat.text() },
  accountSas: await $text($accountCat),
  snapshotSas: await $text(snapshotSasUrl),
  videoEqual: (await video.downloadToBuffer()).equals($video),
  scanEqual: (await container.getBlockBlobClient("scan.tiff").downloadToBuffer()).equals(bytes),
  stagedEqual: downloaded.equals(Buffer.concat([bytes, bytes])),
  events: $run.events,
}));
`,
});

try {
  const { BlobServiceClient, StorageSharedKeyCredential } = createRequire(
    join(project, "package.json"),
  )("@azure/storage-blob");
  const bare = new BlobServiceClient(
    server.serviceUrl,
    new StorageSharedKeyCredential(server.accountName, server.accountKey),
  ).getContainerClient("photos");
  await bare.create();
  await bare.getBlockBlobClient("cat.jpg").upload(CAT, CAT.length);
  server.setClockOffset(25 * MINUTE);
  server.resetLog();

  const out = await runUserCode(project, "readme-azure-blob-paths.mjs", userCode, {
    AZURE_URL: server.serviceUrl,
    AZURE_ACCOUNT: server.accountName,
    AZURE_KEY: server.accountKey,
  });
  const refused = server.log.filter((entry) => entry.rejectedByProxy);
  const requests = server.log.map((entry) => `${entry.method} ${entry.status}`).join(", ");
  expectAll("azure-blob paths snippet", {
    [`the container SAS reads cat.jpg (got ${out.containerSas.status})`]:
      out.containerSas.status === 200 && out.containerSas.text === CAT,
    [`the account SAS reads cat.jpg (got ${out.accountSas.status})`]:
      out.accountSas.status === 200 && out.accountSas.text === CAT,
    [`the snapshot SAS reads the snapshot (got ${out.snapshotSas.status})`]:
      out.snapshotSas.status === 200 && out.snapshotSas.text === CAT,
    "uploadStream stored the file byte for byte": out.videoEqual,
    "uploadData in parallel blocks stored the bytes": out.scanEqual,
    "stageBlock + commitBlockList + downloadToBuffer give the blocks back": out.stagedEqual,
    // Only the client's first request can be refused: the SAS probe learns the clock first.
    [`nothing refused for its clock after the first request (refused ${refused.length}: ${requests})`]:
      refused.length <= 1,
    "every refusal resent and recovered":
      out.events.filter((type) => type === "request.recovered").length === refused.length,
  });
  console.log(
    `${server.attempts} attempts at the proxy, ${refused.length} refused for the clock, the 3 SAS URLs fetched (200), 3 upload paths stored byte for byte`,
  );
} finally {
  await server.close();
}
