import type {
  AccountSASPermissions,
  BlobGenerateSasUrlOptions,
  ContainerGenerateSasUrlOptions,
  ServiceGenerateAccountSasUrlOptions,
} from "@azure/storage-blob";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import { AZURE_DEFAULTS } from "./constants.js";
import { endpointKey } from "./endpoint.js";
import { type StorageClientLike, recoveryFor } from "./with-skew-recovery.js";

/** What the SAS helpers add to the SDK's options. */
export interface SasClockOptions {
  /**
   * With no offset learned yet for the endpoint, first measure its clock with one
   * unauthenticated HEAD (its `Date` header). `false` signs on what is known.
   * @default true
   */
  probe?: boolean;
  /**
   * How long the probe may take before the SAS is signed on what is known.
   * @default 3000
   */
  probeTimeoutMs?: number;
  /**
   * With no `startsOn`, the SAS starts this long before the server's now (only when the
   * server's clock is known; otherwise, as with the SDK, it has no start).
   * @default 900_000 (15 minutes)
   */
  sasStartMarginMs?: number;
}

export type BlobSasUrlOptions = BlobGenerateSasUrlOptions & SasClockOptions;
export type ContainerSasUrlOptions = ContainerGenerateSasUrlOptions & SasClockOptions;
export type AccountSasUrlOptions = ServiceGenerateAccountSasUrlOptions & SasClockOptions;

interface SasWindow {
  startsOn?: Date;
  expiresOn?: Date;
}

let fallback: SkewRecovery | undefined;

/**
 * The SAS window moved onto the server's clock. `startsOn`/`expiresOn` are read on the local
 * clock, as the caller computed them, and shifted by the endpoint's learned offset: a SAS asked
 * to live 10 minutes lives 10 minutes by the server's clock.
 */
async function serverWindow(
  recovery: SkewRecovery,
  client: StorageClientLike,
  window: SasWindow,
  options: SasClockOptions,
): Promise<SasWindow> {
  const host = endpointKey(client.url);
  if (options.probe !== false) {
    await recovery.probe(client.url, host, {
      operation: "SasClockProbe",
      timeoutMs: options.probeTimeoutMs ?? AZURE_DEFAULTS.probeTimeoutMs,
    });
  }
  const known = recovery.offsets.get(host) !== undefined;
  const offsetMs = recovery.offsetMs(host);
  const margin = options.sasStartMarginMs ?? AZURE_DEFAULTS.sasStartMarginMs;
  const startsOn = window.startsOn
    ? new Date(window.startsOn.getTime() + offsetMs)
    : known
      ? new Date(recovery.serverNow(host) - margin)
      : undefined;
  const expiresOn = window.expiresOn ? new Date(window.expiresOn.getTime() + offsetMs) : undefined;
  return { ...(startsOn ? { startsOn } : {}), ...(expiresOn ? { expiresOn } : {}) };
}

/** The engine of a wrapped client, else one on the process-wide offset store. */
function recoveryOf(client: StorageClientLike): SkewRecovery {
  const own = recoveryFor(client);
  if (own) return own;
  fallback ??= new SkewRecovery("azure");
  return fallback;
}

function sdkOptions<T extends SasClockOptions>(options: T): Omit<T, keyof SasClockOptions> {
  const { probe: _probe, probeTimeoutMs: _timeout, sasStartMarginMs: _margin, ...rest } = options;
  return rest;
}

interface BlobSasClient extends StorageClientLike {
  generateSasUrl(options: BlobGenerateSasUrlOptions): Promise<string>;
}
interface ContainerSasClient extends StorageClientLike {
  generateSasUrl(options: ContainerGenerateSasUrlOptions): Promise<string>;
}
interface AccountSasClient extends StorageClientLike {
  generateAccountSasUrl(
    expiresOn?: Date,
    permissions?: AccountSASPermissions,
    resourceTypes?: string,
    options?: ServiceGenerateAccountSasUrlOptions,
  ): string;
}

/** Drop-in for `blobClient.generateSasUrl(options)`, signed on the server's clock. */
export async function generateBlobSasUrl(
  blobClient: BlobSasClient,
  options: BlobSasUrlOptions,
): Promise<string> {
  const window = await serverWindow(recoveryOf(blobClient), blobClient, options, options);
  return blobClient.generateSasUrl({ ...sdkOptions(options), ...window });
}

/** Drop-in for `containerClient.generateSasUrl(options)`, signed on the server's clock. */
export async function generateContainerSasUrl(
  containerClient: ContainerSasClient,
  options: ContainerSasUrlOptions,
): Promise<string> {
  const window = await serverWindow(recoveryOf(containerClient), containerClient, options, options);
  return containerClient.generateSasUrl({ ...sdkOptions(options), ...window });
}

/**
 * Drop-in for `serviceClient.generateAccountSasUrl(...)` (same arguments; asynchronous, for the
 * probe), signed on the server's clock. With no `expiresOn` it lives one hour, as the SDK's does.
 */
export async function generateAccountSasUrl(
  serviceClient: AccountSasClient,
  expiresOn?: Date,
  permissions?: AccountSASPermissions,
  resourceTypes?: string,
  options: AccountSasUrlOptions = {},
): Promise<string> {
  const recovery = recoveryOf(serviceClient);
  const localExpiry =
    expiresOn ?? new Date(recovery.clock.now() + AZURE_DEFAULTS.accountSasLifetimeMs);
  const window = await serverWindow(
    recovery,
    serviceClient,
    { ...(options.startsOn ? { startsOn: options.startsOn } : {}), expiresOn: localExpiry },
    options,
  );
  return serviceClient.generateAccountSasUrl(window.expiresOn, permissions, resourceTypes, {
    ...sdkOptions(options),
    ...(window.startsOn ? { startsOn: window.startsOn } : {}),
  });
}
