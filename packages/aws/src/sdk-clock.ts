import { type HandlerExecutionContext, SMITHY_CONTEXT_KEY } from "@smithy/types";

/** The part of an S3 client's resolved config the plugin reads. It never writes to it. */
export interface ClockConfig {
  /** The SDK's own learned offset: read (to report what the SDK signed with), never written. */
  systemClockOffset?: number;
  maxAttempts?: () => Promise<number>;
  /** The SDK's retry strategy: a custom one may allow fewer attempts than `maxAttempts`. */
  retryStrategy?: () => Promise<unknown>;
  disableClockSkewCorrection?: () => Promise<boolean>;
}

interface SelectedScheme {
  selectedHttpAuthScheme?: { httpAuthOption?: { signingProperties?: Record<string, unknown> } };
}

interface SignerLike {
  sign(request: unknown, options?: Record<string, unknown>): Promise<unknown>;
}

type SignerProvider = (authScheme?: unknown) => Promise<SignerLike>;

/**
 * Makes this attempt sign at `Date.now() + systemClockOffsetMs` (skewguard's clock), or, with
 * `undefined`, exactly as the SDK signs without skewguard.
 *
 * The SDK signer reads its config from the request's signing properties. Each attempt that
 * skewguard signs gets a config of its own over the client's, whose `signer` hands out the
 * SDK's own signer with only the signing date replaced. Everything else reads and writes the
 * client's config: the SDK's own offset (`systemClockOffset`), its learning from every
 * response, its `clockSkewCorrected` decision, all exactly as without skewguard. That is what
 * keeps a correction skewguard declines from costing the SDK its own recovery: the SDK still
 * learns the offset and retries on it.
 */
export function signWithOffset(
  context: HandlerExecutionContext,
  systemClockOffsetMs: number | undefined,
): void {
  const smithy = (context as unknown as Record<string, unknown>)[SMITHY_CONTEXT_KEY] as
    | SelectedScheme
    | undefined;
  const properties = smithy?.selectedHttpAuthScheme?.httpAuthOption?.signingProperties;
  if (!properties || typeof properties.config !== "object" || properties.config === null) return;
  const own = unshadowed(properties.config);
  if (systemClockOffsetMs === undefined) {
    properties.config = own;
    return;
  }
  const signer = (own as { signer?: unknown }).signer;
  if (typeof signer !== "function") return;
  const shadow = Object.create(own, {
    signer: {
      value: async (authScheme?: unknown) =>
        datedSigner(await (signer as SignerProvider)(authScheme), systemClockOffsetMs),
      enumerable: true,
    },
    // Reads and writes reach the client's config, as if there were no shadow.
    systemClockOffset: {
      get: () => (own as ClockConfig).systemClockOffset,
      set: (value: number) => {
        (own as ClockConfig).systemClockOffset = value;
      },
      enumerable: true,
    },
  }) as object;
  shadows.add(shadow);
  properties.config = shadow;
}

/** The SDK's signer, signing at `Date.now() + offsetMs` whatever date the SDK asks for. */
function datedSigner(signer: SignerLike, offsetMs: number): SignerLike {
  return Object.create(signer, {
    sign: {
      value: (request: unknown, options: Record<string, unknown> = {}) =>
        signer.sign(request, { ...options, signingDate: new Date(Date.now() + offsetMs) }),
    },
  }) as SignerLike;
}

const shadows = new WeakSet<object>();

/** The client's own config under any shadow an earlier attempt of this request put on it. */
function unshadowed(config: object): object {
  let current = config;
  while (shadows.has(current)) current = Object.getPrototypeOf(current) as object;
  return current;
}

/**
 * The offset the SDK signs with on its own, as `systemClockOffset` (signing time minus
 * `Date.now()`): its learned offset, or 0 when its clock-skew correction is turned off.
 */
export async function sdkSigningOffsetMs(config: ClockConfig): Promise<number> {
  try {
    if ((await config.disableClockSkewCorrection?.()) === true) return 0;
  } catch {
    // The SDK's own provider failed: the signer will fail the same way, or sign on its offset.
  }
  return config.systemClockOffset ?? 0;
}

interface RetryStrategyLike {
  getMaxAttempts?: () => Promise<number>;
  maxAttemptsProvider?: () => Promise<number>;
}

/**
 * How many attempts the SDK makes: its retry strategy's own count (a custom
 * `new StandardRetryStrategy(1)` allows one whatever `maxAttempts` says), else `maxAttempts`.
 */
export async function maxAttemptsOf(config: ClockConfig): Promise<number | undefined> {
  try {
    const strategy = (await config.retryStrategy?.()) as RetryStrategyLike | undefined;
    if (typeof strategy?.getMaxAttempts === "function") return await strategy.getMaxAttempts();
    if (typeof strategy?.maxAttemptsProvider === "function") {
      return await strategy.maxAttemptsProvider();
    }
  } catch {
    // A strategy that cannot say: the client's setting stands.
  }
  return config.maxAttempts?.();
}

/**
 * The SDK signer marks an error `clockSkewCorrected` whenever its own offset moved and is at
 * least 240 s, which makes `retryMiddleware` retry it with backoff, whatever the cause: with a
 * learned +20 min offset every 404 is retried three times. The adapter clears it only when
 * the engine says skewguard handled the clock (it resent, or showed the clock was not the
 * cause); when skewguard declines, the flag, and the SDK's retry on its own offset, stand.
 */
export function clearSkewCorrectedFlag(error: unknown): void {
  if (typeof error !== "object" || error === null) return;
  const metadata = (error as { $metadata?: { clockSkewCorrected?: boolean } }).$metadata;
  if (metadata?.clockSkewCorrected) delete metadata.clockSkewCorrected;
}
