import { type HandlerExecutionContext, SMITHY_CONTEXT_KEY } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { type ClockConfig, clearSkewCorrectedFlag, signWithOffset } from "./sdk-clock.js";

function contextFor(config: object) {
  const signingProperties: Record<string, unknown> = { config };
  const context = {
    [SMITHY_CONTEXT_KEY]: { selectedHttpAuthScheme: { httpAuthOption: { signingProperties } } },
  } as unknown as HandlerExecutionContext;
  return { context, signingProperties };
}

describe("signWithOffset", () => {
  it("gives the request's signer a config of its own, one level over the client's", async () => {
    const config: ClockConfig & { region: string } = { systemClockOffset: 0, region: "r" };
    const { context, signingProperties } = contextFor(config);
    signWithOffset(context, config, 1_000);
    signWithOffset(context, config, 2_000);
    const shadow = signingProperties.config as ClockConfig & {
      region: string;
      disableClockSkewCorrection: () => Promise<boolean>;
    };
    expect(Object.getPrototypeOf(shadow)).toBe(config);
    expect(shadow.systemClockOffset).toBe(2_000);
    expect(shadow.region).toBe("r");
    expect(await shadow.disableClockSkewCorrection()).toBe(false);
    // What the SDK's response handlers write lands on the shadow only.
    shadow.systemClockOffset = 73 * 365 * 86_400_000;
    expect(config.systemClockOffset).toBe(2_000);
  });

  it("leaves a request without signing properties alone", () => {
    const config: ClockConfig = {};
    signWithOffset({} as HandlerExecutionContext, config, 5);
    expect(config.systemClockOffset).toBe(5);
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
