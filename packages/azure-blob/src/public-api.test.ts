import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { OffsetStore, isSkewguardError } from "@skewguard/diagnosis";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as api from "./index.js";
import { generateBlobSasUrl, withSkewRecovery } from "./index.js";

const ORIGIN = "https://skewguardacct.blob.core.windows.net";
const KEY = Buffer.from("a unit-test key, never sent").toString("base64");
const MINUTE = 60_000;

function service(): BlobServiceClient {
  return new BlobServiceClient(ORIGIN, new StorageSharedKeyCredential("skewguardacct", KEY));
}

/** The code of the skewguard error `fn` throws or rejects with. */
async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return isSkewguardError(error) ? error.code : `not a SkewguardError: ${String(error)}`;
  }
  return undefined;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the public surface", () => {
  it("exports the documented API and nothing else", () => {
    expect(Object.keys(api).sort()).toEqual([
      "SkewguardError",
      "diagnosisOf",
      "generateAccountSasUrl",
      "generateBlobSasUrl",
      "generateContainerSasUrl",
      "isSkewguardError",
      "withSkewRecovery",
    ]);
  });

  it("what is not a storage client is refused with SKEWGUARD_UNSUPPORTED_CLIENT", async () => {
    for (const client of [{}, { url: "https://x" }, null, undefined]) {
      expect(await codeOf(() => withSkewRecovery(client as never))).toBe(
        "SKEWGUARD_UNSUPPORTED_CLIENT",
      );
    }
  });

  it("an option out of range is refused at once with SKEWGUARD_INVALID_OPTION", async () => {
    for (const options of [
      { replayBufferBytes: -1 },
      { possibleSkewThresholdMs: Number.NaN },
      { successSampleIntervalMs: Number.POSITIVE_INFINITY },
      { probeTimeoutMs: "3s" },
      { clock: {} },
    ]) {
      expect(await codeOf(() => withSkewRecovery(service(), options as never))).toBe(
        "SKEWGUARD_INVALID_OPTION",
      );
    }
  });

  it("a SAS helper refuses a bad sasStartMarginMs or probeTimeoutMs before any probe", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const blob = withSkewRecovery(service(), { offsets: new OffsetStore() })
      .getContainerClient("c")
      .getBlobClient("b");
    const options = {
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() + 10 * MINUTE),
    };
    for (const bad of [
      { sasStartMarginMs: -1 },
      { sasStartMarginMs: "15m" },
      { probeTimeoutMs: -5 },
    ]) {
      expect(await codeOf(() => generateBlobSasUrl(blob, { ...options, ...(bad as object) }))).toBe(
        "SKEWGUARD_INVALID_OPTION",
      );
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it("probe: false signs on the local clock with no start, as the SDK does", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const blob = withSkewRecovery(service(), { offsets: new OffsetStore() })
      .getContainerClient("c")
      .getBlobClient("b");
    const expiresOn = new Date(Math.floor(Date.now() / 1000) * 1000 + 10 * MINUTE);
    const url = await generateBlobSasUrl(blob, {
      permissions: BlobSASPermissions.parse("r"),
      expiresOn,
      probe: false,
    });
    expect(fetch).not.toHaveBeenCalled();
    const query = new URL(url).searchParams;
    expect(query.has("st")).toBe(false);
    expect(Date.parse(query.get("se") ?? "")).toBe(expiresOn.getTime());
  });
});
