import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CLOCK_AWARE_SHARED_KEY_POLICY_NAME,
  SDK_SHARED_KEY_POLICY_NAME,
  SKEW_RECOVERY_POLICY_NAME,
} from "./constants.js";
import { withSkewRecovery } from "./with-skew-recovery.js";

const ORIGIN = "https://skewguardacct.blob.core.windows.net";
const KEY = Buffer.from("a unit-test key for nock").toString("base64");
const MINUTE = 60_000;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function client() {
  const events: SkewguardEvent[] = [];
  const service = withSkewRecovery(
    new BlobServiceClient(ORIGIN, new StorageSharedKeyCredential("skewguardacct", KEY)),
    { offsets: new OffsetStore(), onEvent: (event) => events.push(event) },
  );
  return { service, events };
}

const httpDate = (ms: number) => new Date(ms).toUTCString();

describe("withSkewRecovery on the pipeline", () => {
  it("replaces the SDK's SharedKey policy and places recovery after the SDK's retry", () => {
    const { service } = client();
    const child = service.getContainerClient("c").getBlockBlobClient("b");
    const names = (
      child as unknown as {
        storageClientContext: { pipeline: { getOrderedPolicies(): Array<{ name: string }> } };
      }
    ).storageClientContext.pipeline
      .getOrderedPolicies()
      .map((p) => p.name);
    expect(names).not.toContain(SDK_SHARED_KEY_POLICY_NAME);
    expect(names.indexOf("storageRetryPolicy")).toBeLessThan(
      names.indexOf(SKEW_RECOVERY_POLICY_NAME),
    );
    expect(names.indexOf(SKEW_RECOVERY_POLICY_NAME)).toBeLessThan(
      names.indexOf(CLOCK_AWARE_SHARED_KEY_POLICY_NAME),
    );
    // Wrapping again replaces, never duplicates.
    withSkewRecovery(service);
    const again = (
      service as unknown as {
        storageClientContext: { pipeline: { getOrderedPolicies(): Array<{ name: string }> } };
      }
    ).storageClientContext.pipeline
      .getOrderedPolicies()
      .filter((p) => p.name === SKEW_RECOVERY_POLICY_NAME);
    expect(again).toHaveLength(1);
  });

  it("rejects what is not a storage client", () => {
    expect(() => withSkewRecovery({ url: "https://x" })).toThrow(/expects a client/);
  });
});

describe("exact response shapes", () => {
  it("a HEAD 403 with no body, only a Date 20 minutes ahead: re-signed once on that clock", async () => {
    const { service, events } = client();
    const dates: string[] = [];
    const serverNow = () => Date.now() + 20 * MINUTE;
    nock(ORIGIN)
      .head("/c/b")
      .reply(function () {
        dates.push(String(this.req.headers["x-ms-date"]));
        return [
          403,
          "",
          {
            date: httpDate(serverNow()),
            "x-ms-error-code": "AuthenticationFailed",
            "x-ms-request-id": "11111111-2222-3333-4444-555555555555",
          },
        ];
      })
      .head("/c/b")
      .reply(function () {
        dates.push(String(this.req.headers["x-ms-date"]));
        return [200, "", { date: httpDate(serverNow()), "content-length": "3" }];
      });
    const properties = await service.getContainerClient("c").getBlobClient("b").getProperties();
    expect(properties.contentLength).toBe(3);
    expect(dates).toHaveLength(2);
    const [first, second] = dates.map((d) => Date.parse(d));
    expect(Math.abs((second ?? 0) - serverNow())).toBeLessThan(3_000);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThan(19 * MINUTE);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
    );
    expect(events.find((e) => e.type === "request.resigned")).toMatchObject({
      operation: "GetBlobProperties",
      requestId: "11111111-2222-3333-4444-555555555555",
      host: "skewguardacct.blob.core.windows.net",
    });
  });

  it("a 404 is never resent", async () => {
    const { service, events } = client();
    const scope = nock(ORIGIN)
      .get("/c/missing")
      .reply(
        404,
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.</Message></Error>',
        {
          date: httpDate(Date.now() + 20 * MINUTE),
          "x-ms-error-code": "BlobNotFound",
        },
      );
    const error = (await service
      .getContainerClient("c")
      .getBlobClient("missing")
      .download()
      .catch((e: unknown) => e)) as { statusCode?: number };
    expect(error.statusCode).toBe(404);
    expect(scope.isDone()).toBe(true);
    expect(events.map((e) => e.type)).not.toContain("request.resigned");
  });

  it("a policy 403 (AuthorizationPermissionMismatch) is not the clock: sent once", async () => {
    const { service, events } = client();
    let calls = 0;
    nock(ORIGIN)
      .get("/c/b")
      .times(2)
      .reply(() => {
        calls++;
        return [
          403,
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>',
          { date: httpDate(Date.now()), "x-ms-error-code": "AuthorizationPermissionMismatch" },
        ];
      });
    await service
      .getContainerClient("c")
      .getBlobClient("b")
      .download()
      .catch(() => undefined);
    expect(calls).toBe(1);
    expect(events.map((e) => e.type)).not.toContain("request.resigned");
  });
});

describe("an explicit single try", () => {
  it("retryOptions.maxTries = 1: the clock failure is reported, not resent", async () => {
    const events: SkewguardEvent[] = [];
    const service = withSkewRecovery(
      new BlobServiceClient(ORIGIN, new StorageSharedKeyCredential("skewguardacct", KEY), {
        retryOptions: { maxTries: 1 },
      }),
      { offsets: new OffsetStore(), onEvent: (event) => events.push(event) },
    );
    let calls = 0;
    nock(ORIGIN)
      .head("/c/b")
      .times(2)
      .reply(() => {
        calls++;
        return [
          403,
          "",
          { date: httpDate(Date.now() + 20 * MINUTE), "x-ms-error-code": "AuthenticationFailed" },
        ];
      });
    await service
      .getContainerClient("c")
      .getBlobClient("b")
      .getProperties()
      .catch(() => undefined);
    expect(calls).toBe(1);
    expect(events.find((e) => e.type === "recovery.skipped")).toMatchObject({
      reason: "resend-disabled",
    });
  });
});
