import { type GetSignedUrlConfig, Storage } from "@google-cloud/storage";
import * as core from "@skewguard/diagnosis";
import {
  diagnoseSignedUrlResponse,
  diagnosisOf,
  type GcsSkewOptions,
  getSignedUrl,
  isSkewguardError,
  type SignableFile,
  type StorageLike,
  withSkewRecovery,
} from "@skewguard/gcs";
import { testServiceAccount } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";

// Offline: nothing here reaches a server (the probe is off or never reached).

function storage(): Storage {
  const account = testServiceAccount();
  return new Storage({
    projectId: "p",
    credentials: { client_email: account.client_email, private_key: account.private_key },
  });
}

const READ: GetSignedUrlConfig = { version: "v4", action: "read", expires: Date.now() + 60_000 };

/** The error a call threw (or returned a rejection with). */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectCode(error: unknown, code: string): void {
  expect(isSkewguardError(error)).toBe(true);
  expect(error).toBeInstanceOf(core.SkewguardError);
  expect((error as { code?: string }).code).toBe(code);
}

const INVALID: Array<[string, GcsSkewOptions]> = [
  ["probeTimeoutMs: -5", { probeTimeoutMs: -5 }],
  ["probeTimeoutMs: NaN", { probeTimeoutMs: Number.NaN }],
  ["replayBufferBytes: -1", { replayBufferBytes: -1 }],
  ["possibleSkewThresholdMs: Infinity", { possibleSkewThresholdMs: Number.POSITIVE_INFINITY }],
  ["successSampleIntervalMs: '1000'", { successSampleIntervalMs: "1000" as unknown as number }],
  ["reportSkewMs: -1", { reportSkewMs: -1 }],
  ["probe: 'yes'", { probe: "yes" as unknown as boolean }],
  ["clock without now()", { clock: {} as unknown as GcsSkewOptions["clock"] & object }],
];

describe("every GCS entry point validates its options (SKEWGUARD_INVALID_OPTION)", () => {
  it.each(INVALID)("withSkewRecovery, %s", async (_, options) => {
    expectCode(
      await thrown(() => withSkewRecovery(storage(), options)),
      "SKEWGUARD_INVALID_OPTION",
    );
  });

  it.each(INVALID)("withSkewRecovery on a Storage wrapped already, %s", async (_, options) => {
    const wrapped = withSkewRecovery(storage());
    expectCode(await thrown(() => withSkewRecovery(wrapped, options)), "SKEWGUARD_INVALID_OPTION");
    expect(withSkewRecovery(wrapped, { probeTimeoutMs: 10 })).toBe(wrapped);
  });

  it.each(INVALID)("getSignedUrl, wrapped or not, %s", async (_, options) => {
    for (const client of [storage(), withSkewRecovery(storage())]) {
      const file = client.bucket("b").file("o");
      expectCode(await thrown(() => getSignedUrl(file, READ, options)), "SKEWGUARD_INVALID_OPTION");
    }
  });

  it.each(INVALID)(
    "diagnoseSignedUrlResponse, with or without a Storage, %s",
    async (_, options) => {
      const url = "https://storage.googleapis.com/b/o?X-Goog-Date=20261123T100000Z";
      for (const extra of [{}, { storage: storage() }]) {
        const error = await thrown(() =>
          diagnoseSignedUrlResponse(url, { status: 400 }, { ...options, ...extra }),
        );
        expectCode(error, "SKEWGUARD_INVALID_OPTION");
      }
    },
  );

  it("options must be an object", async () => {
    const error = await thrown(() =>
      withSkewRecovery(storage(), null as unknown as GcsSkewOptions),
    );
    expectCode(error, "SKEWGUARD_INVALID_OPTION");
  });
});

describe("what skewguard's own failures are", () => {
  it("something that is not a Storage or a File: SKEWGUARD_UNSUPPORTED_CLIENT", async () => {
    const notStorage = { apiEndpoint: "x" } as unknown as StorageLike;
    expectCode(await thrown(() => withSkewRecovery(notStorage)), "SKEWGUARD_UNSUPPORTED_CLIENT");
    const notFile = { name: "o" } as unknown as SignableFile;
    expectCode(await thrown(() => getSignedUrl(notFile, READ)), "SKEWGUARD_UNSUPPORTED_CLIENT");
  });

  it("an unknown action (the library would sign a URL for no method): SKEWGUARD_INVALID_OPTION", async () => {
    const file = withSkewRecovery(storage(), { probe: false }).bucket("b").file("o");
    const config = { ...READ, action: "bogus" } as unknown as GetSignedUrlConfig;
    expectCode(await thrown(() => getSignedUrl(file, config)), "SKEWGUARD_INVALID_OPTION");
  });

  it("times wrong on the local clock keep the library's plain Error, word for word", async () => {
    const file = withSkewRecovery(storage(), { probe: false }).bucket("b").file("o");
    const config: GetSignedUrlConfig = { ...READ, expires: Date.now() - 60_000 };
    const ours = await thrown(() => getSignedUrl(file, config));
    const sdk = await thrown(() => file.getSignedUrl(config));
    expect(isSkewguardError(ours)).toBe(false);
    expect((ours as Error).message).toBe((sdk as Error).message);
  });

  it("diagnosisOf and the error type are the core's, re-exported", () => {
    expect(diagnosisOf).toBe(core.diagnosisOf);
    expect(isSkewguardError).toBe(core.isSkewguardError);
  });
});
