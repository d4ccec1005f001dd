// The happy path's server, in a process of its own (`pnpm bench` forks it: see `serverProcess`
// in bench-stats.mjs). A user's storage server never runs on the client's thread: in one
// process, the server's work shares the client's event loop, heap and CPU caches, and what the
// bench then reads as the client's cost is partly the server's. Argument: s3 | gcs | azure.
// Answers with what a client needs to connect, closes on "close" or when the bench goes away.
import { dist } from "./bench-stats.mjs";

const kind = process.argv[2];
const testkit = await import(dist("testkit"));
const PAYLOAD = Buffer.from("benchmark object");

/** Starts the server, with the benchmark's object stored where the provider's bench reads it. */
async function start() {
  if (kind === "s3") {
    const server = await testkit.startS3TestServer({ idleTimeoutMs: 0 });
    server.objects.set("b/k", PAYLOAD);
    return { server, connection: { url: server.url } };
  }
  if (kind === "gcs") {
    const server = await testkit.startGcsTestServer({ idleTimeoutMs: 0 });
    server.objects.set("b/k", PAYLOAD);
    // The test key is made per process: the client must sign its grants with this one.
    const account = testkit.testServiceAccount();
    return { server, connection: { url: server.url, tokenUrl: server.tokenUrl, account } };
  }
  if (kind === "azure") {
    const server = await testkit.startAzureTestServer({ idleTimeoutMs: 0 });
    const { serviceUrl, accountName, accountKey } = server;
    return { server, connection: { serviceUrl, accountName, accountKey } };
  }
  throw new Error(`bench-server: unknown server kind ${JSON.stringify(kind)}`);
}

const { server, connection } = await start();
let closing;
const close = () => {
  closing ??= server.close().finally(() => process.exit(0));
  return closing;
};
process.on("message", (message) => {
  if (message === "close") void close();
});
// The bench ended or died without saying so: this process must not outlive it.
process.on("disconnect", () => void close());
process.send({ ready: true, connection });
