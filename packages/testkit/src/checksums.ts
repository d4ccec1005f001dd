import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * S3's flexible checksums (`x-amz-checksum-<algorithm>`, base64 of the big-endian digest). The
 * AWS SDK v3 sends CRC32 on every PutObject by default, in a header for known-length bodies and
 * in an aws-chunked trailer for streams; a server that ignores them would accept corrupted
 * uploads the real one rejects.
 */

export type ChecksumAlgorithm = "crc32" | "crc32c" | "sha1" | "sha256";

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = [
  "crc32",
  "crc32c",
  "sha1",
  "sha256",
];

let crc32cTable: Uint32Array | undefined;

function castagnoliTable(): Uint32Array {
  if (crc32cTable) return crc32cTable;
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  crc32cTable = table;
  return table;
}

/** CRC32C (Castagnoli); `previous`, the CRC of the bytes before `data`, continues it. */
export function crc32c(data: Buffer, previous = 0): number {
  const table = castagnoliTable();
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString("base64");
}

export function checksumBase64(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case "crc32":
      return uint32Base64(crc32(data));
    case "crc32c":
      return uint32Base64(crc32c(data));
    case "sha1":
      return createHash("sha1").update(data).digest("base64");
    case "sha256":
      return createHash("sha256").update(data).digest("base64");
  }
}

/** `x-amz-checksum-crc32` -> `crc32`; undefined for other names and unsupported algorithms. */
export function checksumAlgorithmOf(headerName: string): ChecksumAlgorithm | undefined {
  const prefix = "x-amz-checksum-";
  const lower = headerName.toLowerCase();
  if (!lower.startsWith(prefix)) return undefined;
  const name = lower.slice(prefix.length);
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name)
    ? (name as ChecksumAlgorithm)
    : undefined;
}

export interface ChecksumMismatch {
  algorithm: ChecksumAlgorithm;
  expected: string;
  actual: string;
}

/**
 * Compares every supported `x-amz-checksum-*` entry with the bytes received. Unknown
 * algorithms (CRC64NVME) are accepted unchecked: the SDK only sends them when asked to.
 */
export function findChecksumMismatch(
  entries: Iterable<readonly [string, string]>,
  data: Buffer,
): ChecksumMismatch | undefined {
  for (const [name, value] of entries) {
    const algorithm = checksumAlgorithmOf(name);
    if (!algorithm) continue;
    const actual = checksumBase64(algorithm, data);
    if (actual !== value.trim()) return { algorithm, expected: value.trim(), actual };
  }
  return undefined;
}

/** A `Content-MD5` header against the bytes: "invalid" (not base64 of 16 bytes) or the mismatch. */
export function contentMd5Problem(
  value: string,
  data: Buffer,
): { kind: "invalid" } | { kind: "mismatch"; calculated: string } | undefined {
  const trimmed = value.trim();
  const decoded = Buffer.from(trimmed, "base64");
  if (decoded.length !== 16 || decoded.toString("base64") !== trimmed) return { kind: "invalid" };
  const calculated = createHash("md5").update(data).digest("base64");
  return calculated === trimmed ? undefined : { kind: "mismatch", calculated };
}
