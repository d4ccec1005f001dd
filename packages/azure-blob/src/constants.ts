/** The name of the SDK's SharedKey policy that `withSkewRecovery` replaces. */
export const SDK_SHARED_KEY_POLICY_NAME = "storageSharedKeyCredentialPolicy";

/** The name the clock-aware SharedKey policy carries in the pipeline (phase "Sign"). */
export const CLOCK_AWARE_SHARED_KEY_POLICY_NAME = "skewguardSharedKeyPolicy";

/** The name the recovery policy carries in the pipeline (phase "Retry", after the SDK's retry). */
export const SKEW_RECOVERY_POLICY_NAME = "skewguardRecoveryPolicy";

/**
 * Defaults specific to Azure (the shared ones live in `RECOVERY_DEFAULTS` of @skewguard/diagnosis).
 */
export const AZURE_DEFAULTS = {
  /**
   * With no `startsOn`, a SAS starts this long before the server's now: other front ends of the
   * service may read slightly different clocks (Microsoft suggests 15 minutes for that reason).
   */
  sasStartMarginMs: 15 * 60_000,
  /** How long a SAS helper waits for its one probe of an endpoint with no learned offset. */
  probeTimeoutMs: 3_000,
  /** Error bodies are read up to this many characters for evidence. */
  errorBodyCapChars: 64 * 1024,
  /** `generateAccountSasUrl` with no `expiresOn` lives this long, as the SDK's does. */
  accountSasLifetimeMs: 60 * 60_000,
} as const;
