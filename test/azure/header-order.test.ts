import type { SkewguardEvent } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import {
  azureClient,
  azureServerPerFile,
  counted,
  createContainer,
  failureOf,
} from "./fixtures.js";

const server = azureServerPerFile();

type Diagnosed = Extract<SkewguardEvent, { type: "signature.diagnosed" }>;

describe("the SDK's own header-order quirk", () => {
  it("a Content-Language header is signed where the SDK puts it; the diagnosis names the line", async () => {
    await createContainer(server(), "quirks");
    const { service, events } = azureClient(server());
    // The SDK signs Content-Language before Content-Encoding; the service (and Azurite) the
    // other way round. Any request carrying one of them fails with a MAC mismatch.
    const pipeline = (
      service as unknown as {
        storageClientContext: { pipeline: { addPolicy(p: unknown, o: unknown): void } };
      }
    ).storageClientContext.pipeline;
    pipeline.addPolicy(
      {
        name: "contentLanguageForTest",
        sendRequest: (request: { headers: Map<string, string> }, next: (r: unknown) => unknown) => {
          request.headers.set("Content-Language", "en");
          return next(request);
        },
      },
      { phase: "Serialize" },
    );
    const blob = service.getContainerClient("quirks").getBlockBlobClient("lang.txt");
    const { attempts, result } = await counted(server(), () => failureOf(blob.upload("hi", 2)));
    expect(result.statusCode).toBe(403);
    expect(attempts).toBe(1);
    const diagnosed = events.find((e): e is Diagnosed => e.type === "signature.diagnosed");
    expect(diagnosed?.diagnosis.cause).toBe("request-changed");
    expect(diagnosed?.diagnosis.firstDifference).toMatchObject({
      field: "content-encoding",
      client: "en",
    });
  });
});
