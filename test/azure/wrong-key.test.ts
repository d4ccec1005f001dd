import { BlobClient, BlobSASPermissions } from "@azure/storage-blob";
import { diagnosisOf, withSkewRecovery } from "@skewguard/azure-blob";
import type { SkewguardEvent } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import {
  MINUTE,
  WRONG_KEY,
  azureClient,
  azureServerPerFile,
  counted,
  failureOf,
  createContainer,
  types,
} from "./fixtures.js";

const server = azureServerPerFile();
const CONTAINER = "wrong-key";

type Diagnosed = Extract<SkewguardEvent, { type: "signature.diagnosed" }>;

function diagnosed(events: SkewguardEvent[]): Diagnosed[] {
  return events.filter((e): e is Diagnosed => e.type === "signature.diagnosed");
}

describe("a wrong account key", () => {
  it("clocks agree: one attempt, diagnosed as the key, never resent", async () => {
    await createContainer(server(), CONTAINER);
    const { service, events } = azureClient(server(), { key: WRONG_KEY });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("k.txt");
    const { attempts, result } = await counted(server(), () => failureOf(blob.upload("nope", 4)));
    expect(result.statusCode).toBe(403);
    expect(attempts).toBe(1);
    expect(types(events)).not.toContain("request.resigned");
    const [diagnosis] = diagnosed(events);
    expect(diagnosis?.diagnosis.cause).toBe("secret-key-mismatch");
    expect(diagnosis?.operation).toBe("PutBlob");
  });

  it("diagnosisOf(error) on the RestError a wrapped client throws names the key; the bare SDK's carries none", async () => {
    await createContainer(server(), CONTAINER);
    const { service } = azureClient(server(), { key: WRONG_KEY });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("d.txt");
    const error = await failureOf(blob.upload("nope", 4));
    expect(error).toMatchObject({ name: "RestError", statusCode: 403 });
    const diagnosis = diagnosisOf(error);
    expect(diagnosis?.cause).toBe("secret-key-mismatch");
    expect(diagnosis?.fixes.length).toBeGreaterThan(0);
    // Redacted like an event, and invisible to the user's own logging of the error.
    expect(JSON.stringify(diagnosis)).not.toContain(WRONG_KEY);
    expect(Object.keys(error)).not.toContain("diagnosis");

    // Skewed, the first call resends once on the corrected clock: still the key.
    server().setClockOffset(20 * MINUTE);
    const skewed = azureClient(server(), { key: WRONG_KEY });
    const skewedBlob = skewed.service.getContainerClient(CONTAINER).getBlockBlobClient("d.txt");
    const first = await counted(server(), () => failureOf(skewedBlob.upload("nope", 4)));
    expect(first.attempts).toBe(2);
    expect(diagnosisOf(first.result)?.cause).toBe("secret-key-mismatch");

    const bare = azureClient(server(), { key: WRONG_KEY, wrapped: false });
    const bareBlob = bare.service.getContainerClient(CONTAINER).getBlockBlobClient("d.txt");
    expect(diagnosisOf(await failureOf(bareBlob.upload("nope", 4)))).toBeUndefined();
  });

  it("server +20 min: at most 2 attempts on the first call, 1 after; still the key", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    const { service, events } = azureClient(server(), { key: WRONG_KEY });
    const blob = service.getContainerClient(CONTAINER).getBlockBlobClient("k.txt");
    const fail = () => failureOf(blob.getProperties());
    const first = await counted(server(), fail);
    expect(first.result.statusCode).toBe(403);
    expect(first.attempts).toBeLessThanOrEqual(2);
    const second = await counted(server(), fail);
    expect(second.attempts).toBe(1);
    const upload = await counted(server(), () => blob.upload("nope", 4).catch(() => undefined));
    expect(upload.attempts).toBe(1);
    const causes = diagnosed(events).map((e) => e.diagnosis.cause);
    expect(causes.length).toBeGreaterThan(0);
    expect(causes.at(-1)).toBe("secret-key-mismatch");
    expect(causes).not.toContain("clock-behind");
    expect(types(events).filter((t) => t === "request.resigned").length).toBeLessThanOrEqual(1);
  });

  it("no event or log line carries the key, a signature or an Authorization value", async () => {
    await createContainer(server(), CONTAINER);
    server().setClockOffset(20 * MINUTE);
    const wrong = azureClient(server(), { key: WRONG_KEY });
    const right = azureClient(server());
    const blobOf = (c: typeof wrong) =>
      c.service.getContainerClient(CONTAINER).getBlockBlobClient("s.txt");
    await blobOf(wrong)
      .upload("x", 1)
      .catch(() => undefined);
    await blobOf(wrong)
      .getProperties()
      .catch(() => undefined);
    await blobOf(right).upload("secret-free", 11);
    // A client on an expired SAS URL: sampled and diagnosed, never re-signed.
    const sasUrl = await blobOf(right).generateSasUrl({
      permissions: BlobSASPermissions.parse("r"),
      expiresOn: new Date(Date.now() - 60 * MINUTE),
    });
    const sasEvents: SkewguardEvent[] = [];
    const sasBlob = withSkewRecovery(new BlobClient(sasUrl), {
      onEvent: (event) => sasEvents.push(event),
    });
    const expired = await counted(server(), () => failureOf(sasBlob.download()));
    expect(expired.result.statusCode).toBe(403);
    expect(expired.attempts).toBe(1);
    expect(sasEvents.map((e) => e.type)).toContain("signature.diagnosed");
    const all = JSON.stringify(
      [wrong, right, sasEvents].flatMap((c) => ("events" in c ? [c.events, c.logLines] : [c])),
    );
    expect(wrong.events.length + right.events.length).toBeGreaterThan(3);
    for (const secret of [server().accountKey, WRONG_KEY]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/SharedKey [^"\s]+:[A-Za-z0-9+/=]{20,}/);
    expect(all).not.toMatch(/sig=/);
    expect(all).not.toMatch(/MAC signature found in the HTTP request '[A-Za-z0-9+/=]{20,}'/);
  });
});
