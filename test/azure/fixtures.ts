import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { type AzureTestServer, startAzureTestServer } from "@skewguard/testkit";
import { afterAll, beforeAll, beforeEach } from "vitest";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A key of the right shape that is not the account's. */
export const WRONG_KEY = Buffer.from("a key from another environment, 32b").toString("base64");

/**
 * Azurite behind the skew proxy for the whole test file: started before its first test, closed
 * after its last, the proxy clock reset to agree with ours before each test.
 */
export function azureServerPerFile(): () => AzureTestServer {
  let server: AzureTestServer | undefined;
  beforeAll(async () => {
    server = await startAzureTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server?.setClockOffset(0);
    server?.resetLog();
  });
  return () => {
    if (!server) throw new Error("the Azure test server is not running");
    return server;
  };
}

export interface ClientOptions {
  key?: string;
  wrapped?: boolean;
  replayBufferBytes?: number;
  offsets?: OffsetStore;
}

/** A service client on the proxy, wrapped with a fresh offset store of its own. */
export function azureClient(server: AzureTestServer, options: ClientOptions = {}) {
  const events: SkewguardEvent[] = [];
  const logLines: string[] = [];
  const offsets = options.offsets ?? new OffsetStore();
  const service = new BlobServiceClient(
    server.serviceUrl,
    new StorageSharedKeyCredential(server.accountName, options.key ?? server.accountKey),
  );
  if (options.wrapped !== false) {
    withSkewRecovery(service, {
      offsets,
      onEvent: (event) => events.push(event),
      logger: {
        warn: (obj: object, msg?: string) => logLines.push(JSON.stringify([obj, msg])),
        info: (obj: object, msg?: string) => logLines.push(JSON.stringify([obj, msg])),
        debug: (obj: object, msg?: string) => logLines.push(JSON.stringify([obj, msg])),
      },
      ...(options.replayBufferBytes !== undefined
        ? { replayBufferBytes: options.replayBufferBytes }
        : {}),
    });
  }
  return { service, events, logLines, offsets };
}

/** Runs `fn` and returns how many requests reached the proxy meanwhile. */
export async function counted<T>(
  server: AzureTestServer,
  fn: () => Promise<T>,
): Promise<{ attempts: number; result: T }> {
  const before = server.attempts;
  const result = await fn();
  return { attempts: server.attempts - before, result };
}

/** Creates a container with clocks that agree, so tests start from a known state. */
export async function createContainer(server: AzureTestServer, name: string): Promise<void> {
  const offset = server.clock.offsetMs;
  server.setClockOffset(0);
  const { service } = azureClient(server, { wrapped: false });
  await service.getContainerClient(name).createIfNotExists();
  server.setClockOffset(offset);
}

export function types(events: SkewguardEvent[]): string[] {
  return events.map((event) => event.type);
}

export interface RestFailure {
  statusCode?: number;
  code?: string;
}

/** The error a call failed with; a call that succeeds fails the test. */
export async function failureOf(call: Promise<unknown>): Promise<RestFailure> {
  try {
    await call;
  } catch (error) {
    return error as RestFailure;
  }
  throw new Error("expected the call to fail");
}
