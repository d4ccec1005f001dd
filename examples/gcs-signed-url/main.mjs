// V4 signed URLs from a machine whose clock is 20 minutes behind Google's: the URL from
// `file.getSignedUrl` is already expired when it is made; the one from skewguard's
// `getSignedUrl` (same config) is signed on the server's clock and works. `index.mjs` runs
// this; test/examples/gcs-signed-url.test.ts runs it on every `pnpm test`.
import { Storage } from "@google-cloud/storage";
import { diagnoseSignedUrlResponse, getSignedUrl, withSkewRecovery } from "@skewguard/gcs";
import { startGcsTestServer, testServiceAccount } from "@skewguard/testkit";

const MINUTE = 60_000;
const SKEW_MS = 20 * MINUTE;

/**
 * Signs a read URL both ways (and a write URL with skewguard), fetches them from a GCS fake
 * whose clock is 20 minutes ahead, and returns what happened, counted at the fake.
 */
export async function main({ print = console.log } = {}) {
  // Stands in for Google: verifies GOOG4-RSA-SHA256 signatures and the URL's time window.
  const server = await startGcsTestServer({ clockOffsetMs: SKEW_MS });
  const events = [];
  try {
    server.objects.set("reports/q4.csv", Buffer.from("quarterly numbers\n"));
    print(`GCS fake at ${server.url}, its clock 20 minutes ahead of this machine's\n`);

    // ---- what a user writes ----
    const storage = withSkewRecovery(new Storage(clientOptions(server)), {
      onEvent: (event) => events.push(event),
    });
    const file = storage.bucket("reports").file("q4.csv");
    const config = { version: "v4", action: "read", expires: Date.now() + 10 * MINUTE };
    const [bareUrl] = await file.getSignedUrl(config); // the library: signed on the local clock
    const [url] = await getSignedUrl(file, config); // skewguard: signed on the server's clock
    // ----------------------------

    const bare = await fetch(bareUrl);
    const bareBody = await bare.text();
    // skewguard never sees the requests made with a URL: hand it a refusal to explain.
    const diagnosis = await diagnoseSignedUrlResponse(
      bareUrl,
      { status: bare.status, headers: bare.headers, body: bareBody },
      { storage },
    );
    const good = await fetch(url);
    const goodBody = await good.text();

    // A write URL works the same way; what was sent is what is stored.
    const upload = Buffer.from("revised numbers\n");
    const [writeUrl] = await getSignedUrl(storage.bucket("reports").file("q4-revised.csv"), {
      version: "v4",
      action: "write",
      expires: Date.now() + 10 * MINUTE,
    });
    const put = await fetch(writeUrl, { method: "PUT", body: upload });
    const stored = server.objects.get("reports/q4-revised.csv");

    print("file.getSignedUrl(config)");
    print(`  GET  ${bare.status} ${xmlCode(bareBody)}`);
    print(`  diagnosis: ${diagnosis.cause}: ${diagnosis.summary}`);
    if (diagnosis.fixes[0]) print(`  fix: ${diagnosis.fixes[0]}`);
    print("\ngetSignedUrl(file, config) from @skewguard/gcs");
    print(`  GET  ${good.status} ${JSON.stringify(goodBody)}`);
    print(`  PUT  ${put.status} (write URL), ${stored?.length ?? 0} bytes stored`);
    const probes = server.counts.xml - 3;
    print(
      `\nat the server: ${server.counts.xml} XML API requests (${probes} clock probe, 3 fetches)`,
    );
    print("events");
    for (const event of events) print(`  ${event.type.padEnd(20)} ${event.operation ?? ""}`);

    return {
      skewMs: SKEW_MS,
      bare: { status: bare.status, code: xmlCode(bareBody), diagnosis: diagnosis.cause },
      skewguard: {
        status: good.status,
        body: goodBody,
        putStatus: put.status,
        storedEqual: stored?.equals(upload) ?? false,
      },
      counts: { ...server.counts },
      events: events.map((event) => event.type),
    };
  } finally {
    await server.close();
  }
}

/**
 * Pointing the client at the fake. Signing needs only the key: no token is granted, so no
 * token redirect is needed here.
 */
function clientOptions(server) {
  const key = testServiceAccount();
  return {
    apiEndpoint: server.url,
    projectId: "example-project",
    credentials: { client_email: key.client_email, private_key: key.private_key },
  };
}

function xmlCode(body) {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? "";
}
