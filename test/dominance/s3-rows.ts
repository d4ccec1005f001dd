import { Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { DateHeaderMode, S3TestServer } from "@skewguard/testkit";
import { describe, it } from "vitest";
import { WRONG_SECRET, s3Client, s3Server } from "../s3/fixtures.js";
import {
  type CallResult,
  MINUTE,
  SKEWS,
  type Skew,
  expectNoWorse,
  runCalls,
  serverOffsetFor,
  withClientClock,
} from "./matrix.js";

/** A client clock, and how the server's `Date` header misbehaves. */
interface S3Scenario {
  label: string;
  skew: Skew;
  dateHeader?: DateHeaderMode;
}

/** The skews, then each broken `Date` at clocks agreeing and at a client 20 minutes behind. */
const DATE_FAULTS: ReadonlyArray<[DateHeaderMode, string]> = [
  ["far-future-on-errors", "Date 2099 on errors"],
  ["far-future", "Date 2099 on every answer"],
  ["with-age", "Age (cached Date)"],
  ["missing", "no Date"],
  ["malformed", "garbage Date"],
];

export const S3_SCENARIOS: readonly S3Scenario[] = [
  ...SKEWS.map((skew) => ({ label: `skew ${skew.label}`, skew })),
  ...DATE_FAULTS.flatMap(([dateHeader, name]) => [
    { label: `${name}, skew 0`, skew: { label: "0", clientMs: 0 }, dateHeader },
    {
      label: `${name}, skew -20 min`,
      skew: { label: "-20 min", clientMs: -20 * MINUTE },
      dateHeader,
    },
  ]),
];

const BUCKET = "b";
const STREAM_BYTES = 64 * 1024;
const CALLS = 3;

interface S3Op {
  name: string;
  /** What the call gives on a healthy clock. */
  truth: string;
  wrongKey?: boolean;
  call(client: S3Client, side: string, i: number): Promise<unknown>;
}

export const S3_OPS: readonly S3Op[] = [
  {
    name: "read",
    truth: "ok",
    call: async (client) => {
      const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "object" }));
      await out.Body?.transformToByteArray();
    },
  },
  {
    name: "write (buffer)",
    truth: "ok",
    call: (client, side, i) =>
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `buffer-${side}-${i}`,
          Body: Buffer.alloc(2048, i),
        }),
      ),
  },
  {
    name: "write (stream)",
    truth: "ok",
    call: (client, side, i) =>
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `stream-${side}-${i}`,
          Body: Readable.from([Buffer.alloc(STREAM_BYTES / 2, i), Buffer.alloc(STREAM_BYTES / 2)]),
          ContentLength: STREAM_BYTES,
        }),
      ),
  },
  {
    name: "list",
    truth: "ok",
    call: (client) => client.send(new ListObjectsV2Command({ Bucket: BUCKET })),
  },
  {
    name: "404",
    truth: "NoSuchKey",
    call: (client) => client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "missing" })),
  },
  {
    name: "wrong key",
    truth: "SignatureDoesNotMatch",
    wrongKey: true,
    call: async (client) => {
      const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "object" }));
      await out.Body?.transformToByteArray();
    },
  },
];

async function runSide(
  server: S3TestServer,
  scenario: S3Scenario,
  op: S3Op,
  config: () => S3ClientConfig,
  wrapped: boolean,
): Promise<CallResult[]> {
  const side = wrapped ? "wrapped" : "bare";
  return withClientClock(scenario.skew, async () => {
    const { client } = s3Client(server, {
      wrapped,
      config: config(),
      ...(op.wrongKey ? { secret: WRONG_SECRET } : {}),
    });
    try {
      return await runCalls(
        CALLS,
        () => server.attempts,
        (i) => op.call(client, side, i),
      );
    } finally {
      client.destroy();
    }
  });
}

/**
 * The S3 rows for one client configuration: every scenario and operation, bare then wrapped,
 * each side a fresh client making three calls in a row on a fresh server.
 */
export function s3Matrix(configName: string, config: () => S3ClientConfig): void {
  describe(`S3 dominance matrix, ${configName}`, () => {
    for (const scenario of S3_SCENARIOS) {
      for (const op of S3_OPS) {
        it(`${scenario.label}: ${op.name}`, async () => {
          const server = await s3Server({
            clockOffsetMs: serverOffsetFor(scenario.skew),
            ...(scenario.skew.windowMs ? { allowedSkewMs: scenario.skew.windowMs } : {}),
            ...(scenario.dateHeader ? { dateHeader: scenario.dateHeader } : {}),
          });
          server.objects.set(`${BUCKET}/object`, Buffer.from("the object"));
          const bare = await runSide(server, scenario, op, config, false);
          const wrapped = await runSide(server, scenario, op, config, true);
          expectNoWorse({
            provider: "s3",
            config: configName,
            scenario: scenario.label,
            op: op.name,
            truth: op.truth,
            bare,
            wrapped,
          });
        });
      }
    }
  });
}
