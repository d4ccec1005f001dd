/** The name of the SDK's SharedKey policy that `withSkewRecovery` replaces. */
export const SDK_SHARED_KEY_POLICY_NAME = "storageSharedKeyCredentialPolicy";

/** The name the clock-aware SharedKey policy carries in the pipeline (phase "Sign"). */
export const CLOCK_AWARE_SHARED_KEY_POLICY_NAME = "skewguardSharedKeyPolicy";

/** The name the recovery policy carries in the pipeline (phase "Retry", after the SDK's retry). */
export const SKEW_RECOVERY_POLICY_NAME = "skewguardRecoveryPolicy";

/** `generateAccountSasUrl` with no `expiresOn` lives this long, as the SDK's does. */
export const ACCOUNT_SAS_LIFETIME_MS = 60 * 60_000;
