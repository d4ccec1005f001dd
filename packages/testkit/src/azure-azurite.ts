/**
 * Azurite (Microsoft's Azure Storage emulator), blob service only, started in this process on a
 * free loopback port with in-memory persistence. Azurite verifies SharedKey and SAS signatures
 * for real; it ignores the age of `x-ms-date`, which is why tests put the skew proxy in front.
 */

/** The emulator's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
/** The emulator's well-known development key (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /**
   * Leave SAS start/expiry checks to whoever sits in front (the skew proxy checks them on its
   * own clock). Azurite reads the process clock for them, which a test cannot skew.
   * @default true
   */
  delegateSasTimeChecks?: boolean;
  /**
   * Bytes of blob data the in-memory store may hold.
   * @default 256 MiB
   */
  memoryLimitBytes?: number;
  /**
   * Loads one module of Azurite's `dist/src` by its path there (`blob/BlobServer`), so a caller
   * can run another installed Azurite, such as the newest one under an npm alias:
   * `(path) => import(\`azurite-latest/dist/src/${path}.js\`)`. The import must be written where
   * that package resolves.
   * @default the `azurite` this package depends on
   */
  loadModule?: (path: string) => Promise<unknown>;
}

export interface Azurite {
  /** `http://127.0.0.1:<port>`: the emulator itself, no skew enforcement. */
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
  getStatus(): string;
}
type ServerClass = new (config: unknown) => AzuriteServer;
type ConfigClass = new (...args: unknown[]) => unknown;
type ChunkStoreClass = new (sizeLimit: number) => unknown;
interface TimeValidator {
  prototype: { validateTime(expiry?: unknown, start?: unknown): boolean };
}

type ModuleLoader = (path: string) => Promise<unknown>;

const loadBundled: ModuleLoader = (path) => {
  const specifier = `azurite/dist/src/${path}.js`;
  return import(specifier);
};

/** Azurite is CommonJS without types; its classes sit on `exports.default` or the namespace. */
async function load<T>(loader: ModuleLoader, path: string, name = "default"): Promise<T> {
  const mod = (await loader(path)) as Record<string, Record<string, unknown> | undefined>;
  const exported = mod.default?.[name] ?? mod[name];
  if (!exported) throw new Error(`azurite: ${path} has no export ${name}`);
  return exported as T;
}

/** Azurite's SAS authenticators compare st/se with `new Date()`; the proxy does it instead. */
async function delegateSasTimeChecks(loader: ModuleLoader): Promise<void> {
  for (const path of [
    "blob/authentication/BlobSASAuthenticator",
    "blob/authentication/AccountSASAuthenticator",
  ]) {
    const authenticator = await load<TimeValidator>(loader, path);
    authenticator.prototype.validateTime = () => true;
  }
}

const RUNNING = "Running"; // Azurite's ServerStatus.Running

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const loader = options.loadModule ?? loadBundled;
  if (options.delegateSasTimeChecks !== false) await delegateSasTimeChecks(loader);
  const BlobServer = await load<ServerClass>(loader, "blob/BlobServer");
  const BlobConfiguration = await load<ConfigClass>(loader, "blob/BlobConfiguration");
  const ChunkStore = await load<ChunkStoreClass>(
    loader,
    "common/persistence/MemoryExtentStore",
    "MemoryExtentChunkStore",
  );
  // A chunk store of its own, so two emulators in one process never see each other's blobs.
  const chunks = new ChunkStore(options.memoryLimitBytes ?? 256 * 1024 * 1024);
  const config = new BlobConfiguration(
    "127.0.0.1",
    0, // a free port
    5, // keep-alive seconds
    "skewguard-blob-metadata", // names of in-memory Loki databases: nothing touches the disk
    "skewguard-blob-extents",
    [],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    true, // loose: ignore headers the emulator does not support
    true, // skipApiVersionCheck: any SDK version may talk to it
    "",
    "",
    "",
    undefined,
    false, // disableProductStyleUrl
    true, // in-memory persistence
    chunks,
  );
  const server = new BlobServer(config);
  await server.start();
  const origin = server.getHttpServerAddress();
  return {
    origin,
    port: Number(new URL(origin).port),
    close: async () => {
      if (server.getStatus() === RUNNING) await server.close();
    },
  };
}
