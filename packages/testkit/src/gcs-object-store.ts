import { createHash } from "node:crypto";

/** What the fake remembers about an object besides its bytes. */
export interface GcsObjectInfo {
  contentType: string;
  generation: string;
  createdMs: number;
  updatedMs: number;
}

/** One object as both APIs see it. */
export interface GcsStoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  info: GcsObjectInfo;
}

/**
 * Objects keyed `bucket/name`, shared by the JSON and XML APIs. `objects` is the public view a
 * test may read or seed directly; metadata missing for a seeded entry is made up on read.
 */
export class GcsObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly #info = new Map<string, GcsObjectInfo>();
  #generation = 1_700_000_000_000_000;

  put(
    bucket: string,
    name: string,
    data: Buffer,
    contentType: string,
    nowMs: number,
  ): GcsStoredObject {
    const key = `${bucket}/${name}`;
    const created = this.objects.has(key) ? (this.#info.get(key)?.createdMs ?? nowMs) : nowMs;
    const info: GcsObjectInfo = {
      contentType,
      generation: String(++this.#generation),
      createdMs: created,
      updatedMs: nowMs,
    };
    this.objects.set(key, data);
    this.#info.set(key, info);
    return { bucket, name, data, info };
  }

  get(bucket: string, name: string, nowMs: number): GcsStoredObject | undefined {
    const key = `${bucket}/${name}`;
    const data = this.objects.get(key);
    if (!data) return undefined;
    let info = this.#info.get(key);
    if (!info) {
      info = {
        contentType: "application/octet-stream",
        generation: String(++this.#generation),
        createdMs: nowMs,
        updatedMs: nowMs,
      };
      this.#info.set(key, info);
    }
    return { bucket, name, data, info };
  }

  delete(bucket: string, name: string): boolean {
    this.#info.delete(`${bucket}/${name}`);
    return this.objects.delete(`${bucket}/${name}`);
  }

  /** Names in the bucket under `prefix`, sorted, with `delimiter` folding into prefixes. */
  list(
    bucket: string,
    prefix: string,
    delimiter: string | undefined,
  ): { names: string[]; prefixes: string[] } {
    const names: string[] = [];
    const prefixes = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(`${bucket}/`)) continue;
      const name = key.slice(bucket.length + 1);
      if (!name.startsWith(prefix)) continue;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) prefixes.add(name.slice(0, cut + delimiter!.length));
      else names.push(name);
    }
    return { names: names.sort(), prefixes: [...prefixes].sort() };
  }
}

/** The JSON API's object resource, with the hashes the client library validates downloads by. */
export function objectResource(object: GcsStoredObject, baseUrl: string): Record<string, unknown> {
  const { bucket, name, data, info } = object;
  const encoded = encodeURIComponent(name);
  return {
    kind: "storage#object",
    id: `${bucket}/${name}/${info.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${info.generation}&alt=media`,
    name,
    bucket,
    generation: info.generation,
    metageneration: "1",
    contentType: info.contentType,
    storageClass: "STANDARD",
    size: String(data.length),
    md5Hash: md5Base64(data),
    crc32c: crc32cBase64(data),
    etag: etagOf(info),
    timeCreated: new Date(info.createdMs).toISOString(),
    updated: new Date(info.updatedMs).toISOString(),
    timeStorageClassUpdated: new Date(info.createdMs).toISOString(),
  };
}

/** `x-goog-hash` as GCS sends it: `crc32c=…,md5=…`. */
export function googHash(data: Buffer): string {
  return `crc32c=${crc32cBase64(data)},md5=${md5Base64(data)}`;
}

export function etagOf(info: GcsObjectInfo): string {
  return Buffer.from(`${info.generation}/1`).toString("base64url");
}

export function md5Base64(data: Buffer): string {
  return createHash("md5").update(data).digest("base64");
}

/** CRC-32C (Castagnoli), big-endian, base64: the checksum GCS reports for every object. */
export function crc32cBase64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(data));
  return out.toString("base64");
}

let table: Uint32Array | undefined;

export function crc32c(data: Uint8Array): number {
  table ??= makeTable();
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
