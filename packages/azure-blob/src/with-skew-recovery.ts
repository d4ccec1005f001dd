import type { Pipeline } from "@azure/core-rest-pipeline";
import { type RecoveryOptions, SkewguardError } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";
import {
  CLOCK_AWARE_SHARED_KEY_POLICY_NAME,
  SDK_SHARED_KEY_POLICY_NAME,
  SKEW_RECOVERY_POLICY_NAME,
} from "./constants.js";
import { skewRecoveryPolicy } from "./recovery-policy.js";
import { type SharedKeySigner, clockAwareSharedKeyPolicy } from "./signing-policy.js";

/**
 * Options of `withSkewRecovery`: the common skewguard options (`onEvent`, `logger`, `clock`,
 * `offsets`, `replayBufferBytes`, `possibleSkewThresholdMs`, ...), each with its default in
 * `RecoveryOptions`.
 */
export type SkewRecoveryOptions = RecoveryOptions;

/** What `withSkewRecovery` needs of a client: any client of `@azure/storage-blob` 12.x. */
export interface StorageClientLike {
  readonly url: string;
  readonly credential?: unknown;
}

const recoveries = new WeakMap<Pipeline, SkewRecovery>();

/**
 * Makes a `BlobServiceClient`, `ContainerClient` or `BlobClient` (block, append, page) heal clock
 * skew, and every client later made from it too: they share its pipeline, which is changed in
 * place (policies added through pipeline options would break `getContainerClient()` with
 * "Duplicate policy names"). With a `StorageSharedKeyCredential` the SDK's SharedKey policy is
 * replaced by a clock-aware one and a failure the clock caused is re-signed and sent again at
 * once. With a token credential or a SAS URL the client's clock is sampled and failures are
 * diagnosed (`diagnosisOf(error)`), but nothing is re-signed.
 *
 * @param client - the client to heal; the same object is returned.
 * @param options - all optional; calling `withSkewRecovery` again replaces them.
 * @default options `{}`: no listener, the system clock, the process-wide offset store, an 8 MiB
 * replay buffer, a 60 s threshold for a bare 403 (each default is on its `RecoveryOptions` field)
 * @throws `SkewguardError` `SKEWGUARD_UNSUPPORTED_CLIENT` for what is not a storage client,
 * `SKEWGUARD_INVALID_OPTION` for an option out of range.
 *
 * @example
 * ```ts
 * const service = withSkewRecovery(
 *   new BlobServiceClient(url, new StorageSharedKeyCredential(account, key)),
 *   { onEvent: (event) => console.log(event.type, event) },
 * );
 * try {
 *   await service.getContainerClient("photos").getBlockBlobClient("cat.jpg").uploadData(bytes);
 * } catch (error) {
 *   console.error(diagnosisOf(error)?.cause); // e.g. "secret-key-mismatch"
 *   throw error;
 * }
 * ```
 */
export function withSkewRecovery<T extends StorageClientLike>(
  client: T,
  options: SkewRecoveryOptions = {},
): T {
  const pipeline = pipelineOf(client);
  if (!pipeline) {
    throw new SkewguardError(
      "SKEWGUARD_UNSUPPORTED_CLIENT",
      "withSkewRecovery expects a client of @azure/storage-blob (BlobServiceClient, ContainerClient, BlobClient)",
    );
  }
  const recovery = new SkewRecovery("azure", options);
  const signer = sharedKeySigner(client.credential);
  pipeline.removePolicy({ name: SKEW_RECOVERY_POLICY_NAME });
  const signs = hasPolicy(pipeline, SDK_SHARED_KEY_POLICY_NAME, CLOCK_AWARE_SHARED_KEY_POLICY_NAME);
  const canResign = signer !== undefined && signs;
  if (canResign) {
    pipeline.removePolicy({ name: SDK_SHARED_KEY_POLICY_NAME });
    pipeline.removePolicy({ name: CLOCK_AWARE_SHARED_KEY_POLICY_NAME });
    pipeline.addPolicy(
      clockAwareSharedKeyPolicy({
        signer,
        clock: recovery.clock,
        offsetMs: (host) => recovery.signingOffsetMs(host),
      }),
      { phase: "Sign" },
    );
  }
  pipeline.addPolicy(
    skewRecoveryPolicy({
      recovery,
      ...(canResign ? { signer } : {}),
      singleAttempt: asksForOneTry(client),
    }),
    { phase: "Retry" },
  );
  recoveries.set(pipeline, recovery);
  return client;
}

/** The engine `withSkewRecovery` gave this client's pipeline, if any (the SAS helpers use it). */
export function recoveryFor(client: StorageClientLike): SkewRecovery | undefined {
  const pipeline = pipelineOf(client);
  return pipeline ? recoveries.get(pipeline) : undefined;
}

/**
 * The core pipeline a storage client sends through. It is `protected` in the SDK's types but is
 * the documented way children share policies: `getContainerClient()` and friends reuse it.
 */
function pipelineOf(client: unknown): Pipeline | undefined {
  const context = (client as { storageClientContext?: { pipeline?: unknown } } | null | undefined)
    ?.storageClientContext;
  const pipeline = context?.pipeline as Partial<Pipeline> | undefined;
  if (
    typeof pipeline?.addPolicy !== "function" ||
    typeof pipeline.removePolicy !== "function" ||
    typeof pipeline.getOrderedPolicies !== "function"
  ) {
    return undefined;
  }
  return pipeline as Pipeline;
}

/** `retryOptions: { maxTries: 1 }` on the client's pipeline options: the user wants one try. */
function asksForOneTry(client: StorageClientLike): boolean {
  const options = (client as { pipeline?: { options?: { retryOptions?: { maxTries?: unknown } } } })
    .pipeline?.options;
  return options?.retryOptions?.maxTries === 1;
}

function hasPolicy(pipeline: Pipeline, ...names: string[]): boolean {
  return pipeline.getOrderedPolicies().some((policy) => names.includes(policy.name));
}

/** A `StorageSharedKeyCredential`, recognised by shape so that two SDK copies both work. */
function sharedKeySigner(credential: unknown): SharedKeySigner | undefined {
  const candidate = credential as Partial<SharedKeySigner> | undefined;
  if (
    typeof candidate?.accountName === "string" &&
    typeof candidate.computeHMACSHA256 === "function"
  ) {
    return candidate as SharedKeySigner;
  }
  return undefined;
}
