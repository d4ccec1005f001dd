import {
  BlobServiceClient,
  RestError,
  StorageRetryPolicyType,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { withSkewRecovery } from "@skewguard/azure-blob";
import { OffsetStore } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import { MINUTE, azureServerPerFile, counted, createContainer } from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "signing-time";

interface PipelineLike {
  addPolicy(policy: unknown, options: { phase: "Sign" }): void;
}

/**
 * The signing time travels with each request: the recovery policy stamps `x-ms-date` for every
 * attempt, the Sign phase signs what it finds. These are the paths where a stale stamp would
 * show: the SDK's own retries of one request object, and concurrent requests.
 */
describe("the signing time of each attempt", () => {
  it("an SDK retry after a transient error is stamped afresh, on the learned clock", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    const service = withSkewRecovery(
      new BlobServiceClient(
        server().serviceUrl,
        new StorageSharedKeyCredential(server().accountName, server().accountKey),
        {
          retryOptions: {
            retryPolicyType: StorageRetryPolicyType.FIXED,
            retryDelayInMs: 1_200,
            maxTries: 3,
          },
        },
      ),
      { offsets: new OffsetStore() },
    );
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("retried.txt");
    expect((await counted(server(), () => blob.upload("learn", 5))).attempts).toBe(2);

    // Sees each signed try just before the transport; the first one never leaves.
    const signedAt: number[] = [];
    let failNext = true;
    (
      service as unknown as { storageClientContext: { pipeline: PipelineLike } }
    ).storageClientContext.pipeline.addPolicy(
      {
        name: "transientResetForTest",
        sendRequest: (
          request: { headers: { get(name: string): string | undefined } },
          next: (request: unknown) => Promise<unknown>,
        ) => {
          signedAt.push(Date.parse(request.headers.get("x-ms-date") ?? ""));
          if (failNext) {
            failNext = false;
            return Promise.reject(new RestError("socket hang up", { code: "ECONNRESET" }));
          }
          return next(request);
        },
      },
      { phase: "Sign" },
    );
    const { attempts } = await counted(server(), () => blob.upload("retried", 7));
    expect(attempts).toBe(1);
    expect(signedAt).toHaveLength(2);
    const [first = 0, second = 0] = signedAt;
    // The retry left 1.2 s later and says so, on the server's clock.
    expect(second - first).toBeGreaterThanOrEqual(1_000);
    expect(Math.abs(second - server().clock.now())).toBeLessThan(3_000);
    expect((await blob.downloadToBuffer()).toString()).toBe("retried");
  });

  it("concurrent requests from a fresh client: each first try on the local clock, each resend on the server's", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(-20 * MINUTE);
    server().resetLog();
    const service = withSkewRecovery(
      new BlobServiceClient(
        server().serviceUrl,
        new StorageSharedKeyCredential(server().accountName, server().accountKey),
      ),
      { offsets: new OffsetStore() },
    );
    const container = service.getContainerClient(CONTAINER);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        container.getBlockBlobClient(`concurrent-${i}.txt`).upload(`body ${i}`, `body ${i}`.length),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(0);
    const log = server().log;
    const rejected = log.filter((entry) => entry.rejectedByProxy);
    const accepted = log.filter((entry) => !entry.rejectedByProxy);
    expect(accepted).toHaveLength(20);
    // Every signature is on one clock or the other: a first try on the local clock (refused),
    // a resend, or a request sent after the first answer taught the offset, on the server's.
    const distance = (entry: (typeof log)[number], offsetMs: number) =>
      Math.abs(Date.parse(entry.requestDate ?? "") - (entry.at + offsetMs));
    for (const entry of rejected) expect(distance(entry, 0)).toBeLessThan(3_000);
    for (const entry of accepted) expect(distance(entry, -20 * MINUTE)).toBeLessThan(3_000);
    expect(rejected.length).toBeGreaterThan(0);
  });
});
