import type {
  AccountSASPermissions,
  BlobGenerateSasUrlOptions,
  ContainerGenerateSasUrlOptions,
  ServiceGenerateAccountSasUrlOptions,
} from "@azure/storage-blob";
import {
  endpointKey,
  SkewRecovery,
  signingWindow,
  startMarginMs,
} from "@skewguard/diagnosis/adapter";
import { ACCOUNT_SAS_LIFETIME_MS } from "./constants.js";
import { type StorageClientLike, recoveryFor } from "./with-skew-recovery.js";

/** What the SAS helpers add to the SDK's options. */
export interface SasClockOptions {
  /**
   * With nothing learned yet of the endpoint's clock, first read it from the `Date` of one
   * unauthenticated `HEAD` (an endpoint whose probe taught nothing is not probed again for a
   * minute). `false` signs on what is known.
   * @default the client's `probe` option, `true` if none
   */
  probe?: boolean;
  /**
   * How long the probe may take before the SAS is signed on what is known.
   * @default the client's `probeTimeoutMs` option, 3000 if none
   */
  probeTimeoutMs?: number;
  /**
   * With no `startsOn`, the SAS starts this long before the server's now, for front ends whose
   * clocks differ slightly (only when the server's clock is known; otherwise, as with the SDK,
   * it has no start).
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
 * The SAS window on the server's clock: `startsOn`/`expiresOn` are read on the local clock, as
 * the caller computed them, and moved by the endpoint's offset (probed first if unknown).
 */
async function serverWindow(
  recovery: SkewRecovery,
  client: StorageClientLike,
  window: SasWindow,
  options: SasClockOptions,
): Promise<SasWindow> {
  // Checked before the probe: a wrong value fails at once.
  const margin = startMarginMs(options.sasStartMarginMs, "sasStartMarginMs");
  const host = endpointKey(client.url);
  const offsetMs =
    host === undefined
      ? 0
      : await recovery.serverOffsetMs({
          url: client.url,
          host,
          operation: "SasClockProbe",
          ...(options.probe === undefined ? {} : { probe: options.probe }),
          ...(options.probeTimeoutMs === undefined
            ? {}
            : { probeTimeoutMs: options.probeTimeoutMs }),
        });
  const signed = signingWindow(
    {
      ...(window.startsOn ? { startsAtMs: window.startsOn.getTime() } : {}),
      ...(window.expiresOn ? { expiresAtMs: window.expiresOn.getTime() } : {}),
    },
    { nowMs: recovery.clock.now(), offsetMs, known: host !== undefined && recovery.knows(host) },
    margin,
  );
  return {
    ...(signed.startsAtMs === undefined ? {} : { startsOn: new Date(signed.startsAtMs) }),
    ...(signed.expiresAtMs === undefined ? {} : { expiresOn: new Date(signed.expiresAtMs) }),
  };
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

/**
 * Drop-in for `blobClient.generateSasUrl(options)`, signed on the server's clock: `expiresOn`
 * and `startsOn` are read on the local clock, as you computed them, so a SAS asked to live 10
 * minutes lives 10 minutes by the server's clock. Uses what the client's `withSkewRecovery`
 * learned; a client never wrapped uses the process-wide offset store. Needs a client on a
 * `StorageSharedKeyCredential`, as the SDK's method does.
 *
 * @example
 * ```ts
 * const url = await generateBlobSasUrl(blobClient, {
 *   permissions: BlobSASPermissions.parse("r"),
 *   expiresOn: new Date(Date.now() + 10 * 60_000),
 * });
 * ```
 */
export async function generateBlobSasUrl(
  blobClient: BlobSasClient,
  options: BlobSasUrlOptions,
): Promise<string> {
  const window = await serverWindow(recoveryOf(blobClient), blobClient, options, options);
  return blobClient.generateSasUrl({ ...sdkOptions(options), ...window });
}

/**
 * Drop-in for `containerClient.generateSasUrl(options)`, signed on the server's clock (see
 * `generateBlobSasUrl`).
 *
 * @example
 * ```ts
 * const url = await generateContainerSasUrl(containerClient, {
 *   permissions: ContainerSASPermissions.parse("rl"),
 *   expiresOn: new Date(Date.now() + 60 * 60_000),
 * });
 * ```
 */
export async function generateContainerSasUrl(
  containerClient: ContainerSasClient,
  options: ContainerSasUrlOptions,
): Promise<string> {
  const window = await serverWindow(recoveryOf(containerClient), containerClient, options, options);
  return containerClient.generateSasUrl({ ...sdkOptions(options), ...window });
}

/**
 * Drop-in for `serviceClient.generateAccountSasUrl(...)`: the same arguments, asynchronous
 * (it may probe the endpoint), signed on the server's clock (see `generateBlobSasUrl`).
 *
 * @param expiresOn - read on the local clock.
 * @default expiresOn one hour from now, as the SDK's
 *
 * @example
 * ```ts
 * const url = await generateAccountSasUrl(
 *   serviceClient,
 *   new Date(Date.now() + 60 * 60_000),
 *   AccountSASPermissions.parse("r"),
 *   "sco",
 * );
 * ```
 */
export async function generateAccountSasUrl(
  serviceClient: AccountSasClient,
  expiresOn?: Date,
  permissions?: AccountSASPermissions,
  resourceTypes?: string,
  options: AccountSasUrlOptions = {},
): Promise<string> {
  const recovery = recoveryOf(serviceClient);
  const localExpiry = expiresOn ?? new Date(recovery.clock.now() + ACCOUNT_SAS_LIFETIME_MS);
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
