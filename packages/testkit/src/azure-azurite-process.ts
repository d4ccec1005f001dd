import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from "./azure-azurite.js";
import { faketimeEnv, findLibfaketime } from "./libfaketime.js";

/**
 * Azurite as a child process whose wall clock is the server's skewed clock (libfaketime), so the
 * emulator itself judges a SAS's `st`/`se` and writes its `Date` headers on that clock. The
 * in-process Azurite cannot: it shares the test's clock, which is why the skew proxy exists.
 * No proxy here: clients talk to the emulator directly, and nothing checks `x-ms-date`'s age.
 */

export interface AzuriteProcessOptions {
  /**
   * The emulator's clock, in libfaketime's syntax: `+20m` (20 minutes ahead of the real clock),
   * `-20m`, `+2h`, or an absolute start such as `@2026-12-04 10:00:00`.
   */
  faketime: string;
  /**
   * Path of `libfaketime.so.1`.
   * @default the Debian package's, found by `findLibfaketime()`
   */
  libfaketime?: string;
  /**
   * How long the emulator may take to listen.
   * @default 30_000
   */
  startTimeoutMs?: number;
  /**
   * Megabytes of blob data the in-memory store may hold.
   * @default 256
   */
  memoryLimitMb?: number;
}

export interface AzuriteProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1`: what a `BlobServiceClient` is given. */
  readonly serviceUrl: string;
  readonly accountName: string;
  /** Azurite's public development key. */
  readonly accountKey: string;
  /** A connection string for `BlobServiceClient.fromConnectionString`. */
  readonly connectionString: string;
  /** The `FAKETIME` the emulator runs with. */
  readonly faketime: string;
  readonly pid: number;
  /** Stops the emulator (its stdin closed, then SIGKILL if it lingers). */
  close(): Promise<void>;
}

const LISTENING = /successfully listens on (http:\/\/[^\s]+)/;
const KILL_AFTER_MS = 3_000;

/**
 * The child runs Azurite's own `azurite-blob` entry point and exits when its stdin closes, so an
 * emulator outlives no parent, however the parent ends (a crashed test worker included).
 */
const CHILD = [
  "process.stdin.on('end', () => process.exit(0));",
  "process.stdin.on('error', () => process.exit(0));",
  "process.stdin.resume();",
  "require(process.argv[1]);",
].join("\n");

function azuriteBlobMain(): string {
  // `__filename` in the CommonJS build, `import.meta.url` in the ES module one.
  const from = typeof __filename === "string" ? __filename : import.meta.url;
  return createRequire(from).resolve("azurite/dist/src/blob/main.js");
}

/**
 * Starts Azurite's blob service in a child process on a free loopback port, in memory, with its
 * wall clock set by libfaketime. Throws when libfaketime is not installed (`apt-get install
 * libfaketime`) or the emulator does not come up.
 */
export async function startAzuriteProcess(options: AzuriteProcessOptions): Promise<AzuriteProcess> {
  const library = options.libfaketime ?? findLibfaketime();
  if (!library) {
    throw new Error("libfaketime is not installed (apt-get install libfaketime)");
  }
  // The loader only warns about a missing LD_PRELOAD library: the emulator would run on the
  // real clock and every test on it would prove nothing.
  if (!existsSync(library)) throw new Error(`libfaketime: no such file ${library}`);
  const args = [
    "-e",
    CHILD,
    azuriteBlobMain(),
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    "0",
    "--inMemoryPersistence",
    "--extentMemoryLimit",
    String(options.memoryLimitMb ?? 256),
    "--loose",
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--silent",
  ];
  const child = spawn(process.execPath, args, {
    // With in-memory persistence nothing is written, but Azurite still insists on a folder.
    cwd: tmpdir(),
    env: { ...process.env, ...faketimeEnv(library, options.faketime), NODE_NO_WARNINGS: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let origin: string;
  try {
    origin = await listeningOrigin(child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const serviceUrl = `${origin}/${AZURITE_ACCOUNT_NAME}`;
  return {
    origin,
    serviceUrl,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    connectionString: [
      "DefaultEndpointsProtocol=http",
      `AccountName=${AZURITE_ACCOUNT_NAME}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=${serviceUrl};`,
    ].join(";"),
    faketime: options.faketime,
    pid: child.pid ?? 0,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // In memory, there is nothing to flush: closing stdin ends the child at once, where
      // Azurite's own SIGTERM handler waits for keep-alive sockets to drain.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the URL Azurite prints once it listens; rejects if it exits or takes too long. */
function listeningOrigin(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const fail = (reason: string) => {
      cleanup();
      reject(new Error(`Azurite under libfaketime ${reason}:\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        cleanup();
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null) => fail(`exited (${code}) before listening`);
    const onError = (error: Error) => fail(`could not start: ${error.message}`);
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}
