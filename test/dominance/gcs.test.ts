import type { Storage } from "@google-cloud/storage";
import { OffsetStore } from "@skewguard/diagnosis";
import { type GcsTestServer, generateTestPrivateKey } from "@skewguard/testkit";
import { describe, it } from "vitest";
import { gcsServer, storageFor } from "../gcs/fixtures.js";
import {
  type CallResult,
  SKEWS,
  type Skew,
  expectNoWorse,
  runCalls,
  serverOffsetFor,
  withClientClock,
} from "./matrix.js";

/**
 * The GCS rows: the GCS fake (token endpoint checking the grant JWT's `iat`/`exp`, JSON API),
 * started per row. Bare and wrapped, three calls each, on fresh `Storage` clients with the
 * library's own retries off (the fixtures' setting), so what is counted is what each sends.
 */

const BUCKET = "bkt";
const CALLS = 3;
const WRONG_PRIVATE_KEY = generateTestPrivateKey();

interface GcsOp {
  name: string;
  truth: string;
  wrongKey?: boolean;
  call(storage: Storage, side: string, i: number): Promise<unknown>;
}

const OPS: readonly GcsOp[] = [
  {
    name: "read",
    truth: "ok",
    call: (storage) => storage.bucket(BUCKET).file("object").download(),
  },
  {
    name: "write",
    truth: "ok",
    call: (storage, side, i) =>
      storage
        .bucket(BUCKET)
        .file(`write-${side}-${i}`)
        .save(Buffer.alloc(2048, i), { resumable: false }),
  },
  {
    name: "404",
    truth: "404",
    call: (storage) => storage.bucket(BUCKET).file("missing").download(),
  },
  {
    name: "wrong key",
    truth: "invalid_grant",
    wrongKey: true,
    call: (storage) => storage.bucket(BUCKET).file("object").download(),
  },
];

/** An API error's status, or a refused grant's OAuth error: what a caller branches on. */
function gcsOutcome(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof e.message === "string" && e.message.startsWith("invalid_grant")) {
    return "invalid_grant";
  }
  if (typeof e.code === "number" || typeof e.code === "string") return String(e.code);
  return String(e.name ?? "Error");
}

/** Requests by exchange: a call grants a token (once per client), then calls the API. */
const requests = (server: GcsTestServer) => [
  server.counts.token,
  server.counts.json + server.counts.xml,
];

async function runSide(
  server: GcsTestServer,
  skew: Skew,
  op: GcsOp,
  wrapped: boolean,
): Promise<CallResult[]> {
  const side = wrapped ? "wrapped" : "bare";
  return withClientClock(skew, async () => {
    const storage = await storageFor(server, {
      wrap: wrapped ? { offsets: new OffsetStore() } : false,
      ...(op.wrongKey ? { privateKey: WRONG_PRIVATE_KEY } : {}),
    });
    return runCalls(
      CALLS,
      () => requests(server),
      (i) => op.call(storage, side, i),
      gcsOutcome,
    );
  });
}

describe("GCS dominance matrix, service-account grants", () => {
  for (const skew of SKEWS) {
    for (const op of OPS) {
      it(`skew ${skew.label}: ${op.name}`, async () => {
        const server = await gcsServer(serverOffsetFor(skew), {
          ...(skew.windowMs ? { tokenAllowanceMs: skew.windowMs } : {}),
        });
        server.objects.set(`${BUCKET}/object`, Buffer.from("the object"));
        const bare = await runSide(server, skew, op, false);
        const wrapped = await runSide(server, skew, op, true);
        expectNoWorse({
          provider: "gcs",
          config: "service-account grants",
          scenario: `skew ${skew.label}`,
          op: op.name,
          truth: op.truth,
          bare,
          wrapped,
        });
      });
    }
  }
});
