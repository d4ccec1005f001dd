import type { RecoveryOptions } from "@skewguard/diagnosis";

/** Options of `withSkewRecovery` and `getSignedUrl`. All optional; defaults in `GCS_DEFAULTS`. */
export interface GcsSkewOptions extends RecoveryOptions {
  /**
   * When `getSignedUrl` must sign for an endpoint whose clock nothing has shown yet, read it
   * first from the `Date` of one `HEAD` request to the endpoint. Off: sign on the local clock
   * (what `file.getSignedUrl` does) until an API response or token grant has taught the offset.
   * @default true
   */
  probe?: boolean;
  /**
   * How long that probe may take; past it the URL is signed on the local clock.
   * @default 5_000
   */
  probeTimeoutMs?: number;
}
