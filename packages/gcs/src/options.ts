import type { RecoveryOptions } from "@skewguard/diagnosis";

/**
 * Options of `withSkewRecovery`, `getSignedUrl` and `diagnoseSignedUrlResponse`: the options
 * every skewguard adapter takes, all optional, with their defaults in the core's
 * `RECOVERY_DEFAULTS`. An invalid value throws `SkewguardError` (`SKEWGUARD_INVALID_OPTION`)
 * at the call that was given it. For GCS, `probe` and `probeTimeoutMs` govern the one `HEAD`
 * that reads an endpoint's clock before `getSignedUrl` (or a self-signed JWT) signs for an
 * endpoint nothing is known of.
 */
export type GcsSkewOptions = RecoveryOptions;
