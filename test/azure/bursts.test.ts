import { describe, expect, it } from "vitest";
import { MINUTE, azureClient, azureServerPerFile, createContainer, types } from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "bursts";

describe("a burst from a fresh client at +20 minutes", () => {
  it("50 concurrent uploads all succeed, each resent at most once", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    server().resetLog();
    const { service, events } = azureClient(server());
    const container = service.getContainerClient(CONTAINER);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        container
          .getBlockBlobClient(`burst-${i}.txt`)
          .upload(`payload ${i}`, `payload ${i}`.length),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toHaveLength(0);
    // Every request that left before the first answer fails once; none more than once.
    const attempts = server().attempts;
    expect(attempts).toBeGreaterThan(50);
    expect(attempts).toBeLessThanOrEqual(100);
    expect(types(events).filter((t) => t === "request.recovered").length).toBe(attempts - 50);
    const names: string[] = [];
    for await (const item of container.listBlobsFlat({ prefix: "burst-" })) names.push(item.name);
    expect(names).toHaveLength(50);
  });

  it("the bare SDK loses all 50", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    server().resetLog();
    const { service } = azureClient(server(), { wrapped: false });
    const container = service.getContainerClient(CONTAINER);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        container.getBlockBlobClient(`bare-${i}.txt`).upload("x", 1),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(50);
    expect(server().attempts).toBe(50);
  });
});
