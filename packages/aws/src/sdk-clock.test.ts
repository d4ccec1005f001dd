import { type HandlerExecutionContext, SMITHY_CONTEXT_KEY } from "@smithy/types";
import { describe, expect, it } from "vitest";
import {
  type ClockConfig,
  clearSkewCorrectedFlag,
  maxAttemptsOf,
  sdkSigningOffsetMs,
  signWithOffset,
} from "./sdk-clock.js";

function contextFor(config: object) {
  const signingProperties: Record<string, unknown> = { config };
  const context = {
    [SMITHY_CONTEXT_KEY]: { selectedHttpAuthScheme: { httpAuthOption: { signingProperties } } },
  } as unknown as HandlerExecutionContext;
  return { context, signingProperties };
}

/** A client config whose signer records the signing date it was asked for. */
function clientConfig() {
  const dates: Date[] = [];
  const signer = {
    sign: async (_request: unknown, options: { signingDate?: Date } = {}) => {
      if (options.signingDate) dates.push(options.signingDate);
      return "signed";
    },
  };
  const config = {
    systemClockOffset: 0,
    region: "r",
    signer: async () => signer,
  };
  return { config, dates };
}

describe("signWithOffset", () => {
  it("gives the request's signer a config of its own whose signer signs on skewguard's clock", async () => {
    const { config, dates } = clientConfig();
    const { context, signingProperties } = contextFor(config);
    signWithOffset(context, 1_000);
    signWithOffset(context, 2 * 86_400_000);
    const shadow = signingProperties.config as typeof config;
    expect(Object.getPrototypeOf(shadow)).toBe(config);
    expect(shadow.region).toBe("r");
    const before = Date.now();
    await (await shadow.signer()).sign({}, { signingDate: new Date(0) });
    expect(dates[0]!.getTime() - before).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(dates[0]!.getTime() - Date.now()).toBeLessThanOrEqual(2 * 86_400_000);
  });

  it("leaves the SDK's own offset and its learning on the client's config, as without skewguard", () => {
    const { config } = clientConfig();
    const { context, signingProperties } = contextFor(config);
    signWithOffset(context, 5_000);
    const shadow = signingProperties.config as ClockConfig;
    expect(shadow.systemClockOffset).toBe(0);
    // What the SDK's response handlers write lands on the client's config, where it would.
    shadow.systemClockOffset = 172_800_000;
    expect(config.systemClockOffset).toBe(172_800_000);
    expect(Object.hasOwn(shadow, "systemClockOffset")).toBe(true);
  });

  it("hands the request back to the SDK's own config when told to sign as the SDK would", () => {
    const { config } = clientConfig();
    const { context, signingProperties } = contextFor(config);
    signWithOffset(context, 1_000);
    signWithOffset(context, undefined);
    expect(signingProperties.config).toBe(config);
  });

  it("leaves a request without signing properties alone", () => {
    const config: ClockConfig = { systemClockOffset: 7 };
    signWithOffset({} as HandlerExecutionContext, 5);
    expect(config.systemClockOffset).toBe(7);
  });
});

describe("sdkSigningOffsetMs", () => {
  it("is the SDK's learned offset, or 0 when its correction is turned off", async () => {
    expect(await sdkSigningOffsetMs({ systemClockOffset: 42 })).toBe(42);
    expect(
      await sdkSigningOffsetMs({
        systemClockOffset: 42,
        disableClockSkewCorrection: async () => true,
      }),
    ).toBe(0);
  });
});

describe("maxAttemptsOf", () => {
  it("prefers the retry strategy's own count to maxAttempts", async () => {
    const maxAttempts = async () => 3;
    expect(await maxAttemptsOf({ maxAttempts })).toBe(3);
    const standard = { getMaxAttempts: async () => 1 };
    expect(await maxAttemptsOf({ maxAttempts, retryStrategy: async () => standard })).toBe(1);
    const adaptive = { maxAttemptsProvider: async () => 2 };
    expect(await maxAttemptsOf({ maxAttempts, retryStrategy: async () => adaptive })).toBe(2);
    const opaque = { acquireInitialRetryToken: () => undefined };
    expect(await maxAttemptsOf({ maxAttempts, retryStrategy: async () => opaque })).toBe(3);
  });
});

describe("clearSkewCorrectedFlag", () => {
  it("removes the flag that makes retryMiddleware retry any error", () => {
    const error = { $metadata: { httpStatusCode: 404, clockSkewCorrected: true } };
    clearSkewCorrectedFlag(error);
    expect(error.$metadata).toEqual({ httpStatusCode: 404 });
    expect(() => clearSkewCorrectedFlag(undefined)).not.toThrow();
  });
});
