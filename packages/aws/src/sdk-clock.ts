import { type HandlerExecutionContext, SMITHY_CONTEXT_KEY } from "@smithy/types";

/** The part of an S3 client's resolved config the plugin reads or writes. */
export interface ClockConfig {
  systemClockOffset?: number;
  maxAttempts?: () => Promise<number>;
}

interface SelectedScheme {
  selectedHttpAuthScheme?: { httpAuthOption?: { signingProperties?: Record<string, unknown> } };
}

/**
 * Makes this attempt sign at `Date.now() + systemClockOffsetMs`. The SDK signer reads
 * `config.systemClockOffset` from the request's signing properties, and its error and success
 * handlers rewrite it from every response (one wild `Date` moves it by decades). Giving each
 * request a config of its own, whose offset is skewguard's, keeps concurrent requests from
 * racing on the shared value and keeps the SDK's learning out of every other request.
 */
export function signWithOffset(
  context: HandlerExecutionContext,
  config: ClockConfig,
  systemClockOffsetMs: number,
): void {
  const smithy = (context as unknown as Record<string, unknown>)[SMITHY_CONTEXT_KEY] as
    | SelectedScheme
    | undefined;
  const properties = smithy?.selectedHttpAuthScheme?.httpAuthOption?.signingProperties;
  if (properties && typeof properties.config === "object" && properties.config !== null) {
    const shadow = Object.create(unshadowed(properties.config), {
      systemClockOffset: { value: systemClockOffsetMs, writable: true, enumerable: true },
      // `disableClockSkewCorrection` (or AWS_DISABLE_CLOCK_SKEW_CORRECTION) makes the signer
      // ignore the offset altogether; it turns off the SDK's learning, which skewguard replaces.
      disableClockSkewCorrection: { value: signWithTheOffset, enumerable: true },
    }) as object;
    shadows.add(shadow);
    properties.config = shadow;
  }
  // Whatever else reads the client's config (a custom signer, user code) sees the learned
  // offset too, rather than the SDK's last rewrite.
  config.systemClockOffset = systemClockOffsetMs;
}

const shadows = new WeakSet<object>();
const signWithTheOffset = () => Promise.resolve(false);

/** The client's own config under any shadow an earlier attempt of this request put on it. */
function unshadowed(config: object): object {
  let current = config;
  while (shadows.has(current)) current = Object.getPrototypeOf(current) as object;
  return current;
}

/**
 * The SDK signer marks an error `clockSkewCorrected` whenever its own offset moved and is at
 * least 240 s, which makes `retryMiddleware` retry it with backoff, whatever the cause: with a
 * learned +20 min offset every 404 is retried three times. skewguard has already resent what
 * the clock caused, so the flag only ever buys futile retries.
 */
export function clearSkewCorrectedFlag(error: unknown): void {
  if (typeof error !== "object" || error === null) return;
  const metadata = (error as { $metadata?: { clockSkewCorrected?: boolean } }).$metadata;
  if (metadata?.clockSkewCorrected) delete metadata.clockSkewCorrected;
}
