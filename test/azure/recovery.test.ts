import type { SkewguardEvent } from "@skewguard/diagnosis";
import { describe, expect, it } from "vitest";
import {
  HOUR,
  MINUTE,
  azureClient,
  azureServerPerFile,
  counted,
  failureOf,
  createContainer,
  types,
} from "./fixtures.js";

const server = azureServerPerFile();

const SKEWS = [
  { name: "+20 min", offsetMs: 20 * MINUTE },
  { name: "-20 min", offsetMs: -20 * MINUTE },
  { name: "+2 h", offsetMs: 2 * HOUR },
];

describe.each(SKEWS)("server clock $name", ({ name, offsetMs }) => {
  const container = `skew-${name.replace(/[^0-9a-z]/g, "")}-${offsetMs > 0 ? "a" : "b"}`;

  it("the bare SDK fails on its only attempt", async () => {
    await createContainer(server(), container);
    server().setClockOffset(offsetMs);
    const { service } = azureClient(server(), { wrapped: false });
    const blob = service.getContainerClient(container).getBlockBlobClient("bare.txt");
    const { attempts, result } = await counted(server(), () => failureOf(blob.upload("bare", 4)));
    expect(result.statusCode).toBe(403);
    expect(attempts).toBe(1);
  });

  it("heals: the first call takes 2 attempts, every later one 1, and the bytes are stored", async () => {
    await createContainer(server(), container);
    server().setClockOffset(offsetMs);
    const { service, events } = azureClient(server());
    const containerClient = service.getContainerClient(container);
    const text = containerClient.getBlockBlobClient("text.txt");
    const bytes = containerClient.getBlockBlobClient("bytes.bin");
    const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

    const first = await counted(server(), () => text.upload("hello, skewed world", 19));
    expect(first.attempts).toBe(2);
    const upload = await counted(server(), () => bytes.upload(payload, payload.length));
    expect(upload.attempts).toBe(1);
    const download = await counted(server(), async () => {
      const response = await bytes.download();
      return readAll(response.readableStreamBody);
    });
    expect(download.attempts).toBe(1);
    expect(download.result.equals(payload)).toBe(true);
    const list = await counted(server(), async () => {
      const names: string[] = [];
      for await (const item of containerClient.listBlobsFlat()) names.push(item.name);
      return names;
    });
    expect(list.attempts).toBe(1);
    expect(list.result).toEqual(expect.arrayContaining(["bytes.bin", "text.txt"]));
    const properties = await counted(server(), () => text.getProperties());
    expect(properties.attempts).toBe(1);
    expect(properties.result.contentLength).toBe(19);
    const removed = await counted(server(), () => bytes.delete());
    expect(removed.attempts).toBe(1);
    expect(await bytes.exists()).toBe(false);

    expect(types(events)).toEqual(
      expect.arrayContaining([
        "skew.detected",
        "skew.corrected",
        "request.resigned",
        "request.recovered",
      ]),
    );
    const recovered = events.find((e) => e.type === "request.recovered") as Extract<
      SkewguardEvent,
      { type: "request.recovered" }
    >;
    expect(recovered).toMatchObject({ provider: "azure", operation: "PutBlob", attempts: 2 });
    expect(recovered.host).toBe(new URL(server().serviceUrl).host);
    // Learned within a few seconds of the truth.
    expect(Math.abs((recovered.offsetMs ?? 0) - offsetMs)).toBeLessThan(3_000);
    const resigned = events.find((e) => e.type === "request.resigned");
    expect(resigned?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Exactly one resend happened in all of this.
    expect(types(events).filter((t) => t === "request.resigned")).toHaveLength(1);
  });

  it("children made after wrapping share what the parent learned", async () => {
    await createContainer(server(), container);
    server().setClockOffset(offsetMs);
    const { service } = azureClient(server());
    const first = await counted(server(), () =>
      service.getContainerClient(container).getProperties(),
    );
    expect(first.attempts).toBe(2);
    const child = service.getContainerClient(container).getAppendBlobClient("append.log");
    const later = await counted(server(), () => child.createIfNotExists());
    expect(later.attempts).toBe(1);
  });
});

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (!stream) return Buffer.alloc(0);
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
