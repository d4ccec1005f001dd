// The @skewguard/gcs README's "Use" block, run from the fresh project that installed the packed
// packages (argv[2]) against the testkit's GCS fake, its clock 20 minutes ahead of this
// machine's: a Storage on Application Default Credentials (a service-account key file named by
// GOOGLE_APPLICATION_CREDENTIALS), wrapped, saves an object (its first token
// grant is refused for the JWT's times and granted again at once), then the V4 URL from
// getSignedUrl is fetched. The README's code runs as written but for two replacements, checked to
// match it: the client is pointed at the fake, and the upload is a simple one with its token
// grants redirected there. Prints what the fake counted; throws if anything a user would notice
// is wrong.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startGcsTestServer, testServiceAccount } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const server = await startGcsTestServer({ clockOffsetMs: 20 * 60_000 });
// The fake trusts the key this process generated: the child finds it as a user's app would.
const keyFilename = join(project, "gcs-service-account.json");
writeFileSync(keyFilename, JSON.stringify(testServiceAccount(server)));

const userCode = readmeProgram("readme-gcs-snippet.mjs", {
  prelude: `
// Test plumbing, not part of using skewguard: the client is pointed at the fake, as for any
// emulator, and google-auth-library 9 posts token grants to Google whatever the key's token_uri
// says, so they are redirected to the fake.
const $emulator = { apiEndpoint: process.env.GCS_URL, useAuthWithCustomEndpoint: true };
async function $redirectTokens(storage) {
  const { redirectGoogleTokenRequests } = await import(process.env.TESTKIT_URL);
  redirectGoogleTokenRequests(await storage.authClient.getClient(), process.env.GCS_TOKEN_URL);
}
`,
  replacements: [
    ["new Storage()", "new Storage($emulator)"],
    // A simple upload: @google-cloud/storage 7 sends resumable uploads to a custom endpoint
    // without a token.
    [
      'await storage.bucket("my-bucket").file("a.txt").save("hello");',
      'await $redirectTokens(storage);\nawait storage.bucket("my-bucket").file("a.txt").save("hello", { resumable: false });',
    ],
  ],
  epilogue: `
const $res = await fetch(url);
const $params = new URL(url).searchParams;
console.log(JSON.stringify({
  signedStatus: $res.status,
  body: await $res.text(),
  signedAt: $params.get("X-Goog-Date"),
  expiresSeconds: Number($params.get("X-Goog-Expires")),
  events: $run.events,
}));
`,
});

/** `20261123T100000Z` → ms. */
function parseGoogDate(text) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? "");
  return m ? Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]) : Number.NaN;
}

try {
  // Bracketed on the server's clock: a slow machine must not look like a wrong clock.
  const serverBefore = server.now();
  const out = await runUserCode(project, "readme-gcs.mjs", userCode, {
    GOOGLE_APPLICATION_CREDENTIALS: keyFilename,
    GCS_URL: server.url,
    GCS_TOKEN_URL: server.tokenUrl,
    TESTKIT_URL: new URL("../packages/testkit/dist/index.js", import.meta.url).href,
  });
  const grants = server.grants.map((grant) => grant.status);
  const serverAfter = server.now();
  const signedAtMs = parseGoogDate(out.signedAt);
  // X-Goog-Date is whole seconds: it may read up to a second before the bracket opened.
  const onServerClock = signedAtMs >= serverBefore - 1_000 && signedAtMs <= serverAfter;
  const { token, json, xml } = server.counts;
  expectAll("gcs snippet", {
    [`token grants: refused once, then granted (got ${grants.join(" ")})`]:
      grants.join(" ") === "400 200",
    [`1 JSON API request, 1 signed-URL GET (got ${json}, ${xml})`]: json === 1 && xml === 1,
    [`the signed URL reads the object (got ${out.signedStatus})`]:
      out.signedStatus === 200 && out.body === "hello",
    [`the URL is signed on the server's clock (${out.signedAt}, server ${new Date(serverBefore).toISOString()} to ${new Date(serverAfter).toISOString()})`]:
      onServerClock,
    [`the URL lives 10 minutes (got ${out.expiresSeconds} s)`]:
      out.expiresSeconds >= 599 && out.expiresSeconds <= 600,
    "recovered once": out.events.filter((type) => type === "request.recovered").length === 1,
  });
  console.log(
    `${token} token grants (${grants.join(", ")}), ${json} JSON API request, ${xml} signed-URL GET (${out.signedStatus}, lives ${out.expiresSeconds} s), events ${out.events.join(",")}`,
  );
} finally {
  await server.close();
}
