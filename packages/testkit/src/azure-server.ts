import {
  AZURITE_ACCOUNT_KEY,
  AZURITE_ACCOUNT_NAME,
  type Azurite,
  type AzuriteOptions,
  startAzurite,
} from "./azure-azurite.js";
import type { AzureProxyFaults } from "./azure-proxy-faults.js";
import {
  type AzureProxyLogEntry,
  type AzureSkewProxy,
  type AzureSkewProxyOptions,
  startAzureSkewProxy,
} from "./azure-skew-proxy.js";
import type { ServerClock } from "./server-clock.js";

/**
 * The Azure test server: Azurite behind the skew-enforcing proxy. Clients talk to
 * `serviceUrl` with `accountName`/`accountKey`; the proxy's clock is the server's clock.
 */

export interface AzureTestServerOptions
  extends Omit<AzureSkewProxyOptions, "target" | "accountName">,
    AzuriteOptions {}

export interface AzureTestServer {
  /** `http://127.0.0.1:<proxy port>/devstoreaccount1`: what a `BlobServiceClient` is given. */
  readonly serviceUrl: string;
  readonly accountName: string;
  /** Azurite's public development key. */
  readonly accountKey: string;
  readonly clock: ServerClock;
  /** Requests the proxy received (every attempt a client made). */
  readonly attempts: number;
  readonly log: readonly AzureProxyLogEntry[];
  setClockOffset(offsetMs: number): void;
  /** Replaces the proxy's faults (`{}` for none). */
  setFaults(faults: AzureProxyFaults): void;
  resetLog(): void;
  readonly proxy: AzureSkewProxy;
  readonly azurite: Azurite;
  close(): Promise<void>;
}

export async function startAzureTestServer(
  options: AzureTestServerOptions = {},
): Promise<AzureTestServer> {
  const azurite = await startAzurite(options);
  let proxy: AzureSkewProxy;
  try {
    proxy = await startAzureSkewProxy({
      ...options,
      target: azurite.origin,
      accountName: AZURITE_ACCOUNT_NAME,
    });
  } catch (error) {
    await azurite.close();
    throw error;
  }
  // Azurite has no idle timer of its own: it stops with the proxy, however the proxy stops.
  void proxy.closed.then(() => azurite.close());
  return {
    serviceUrl: `${proxy.origin}/${AZURITE_ACCOUNT_NAME}`,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    clock: proxy.clock,
    get attempts() {
      return proxy.attempts;
    },
    log: proxy.log,
    setClockOffset: (offsetMs) => proxy.setClockOffset(offsetMs),
    setFaults: (faults) => proxy.setFaults(faults),
    resetLog: () => proxy.resetLog(),
    proxy,
    azurite,
    close: async () => {
      await proxy.close();
      await azurite.close();
    },
  };
}
