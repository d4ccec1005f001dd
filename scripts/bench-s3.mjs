// The S3 part of `pnpm bench`: @aws-sdk/client-s3 bare against the same client with skewguard's
// plugin, on the testkit's S3 server. The happy path is timed against a server in a process of
// its own, and again against one in this process; the rest runs against one in this process
// (the bench changes its clock and faults).
import {
  HUGE_REFUSAL_RUNS,
  SKEW_MS,
  alternate,
  burst,
  dist,
  medianOf,
  recoveredExtra,
  round,
  sdkOf,
  timed,
  timedFailure,
  withServerProcess,
  median,
} from "./bench-stats.mjs";

export async function runS3Bench({ rounds, recoveryRuns, bursts }) {
  const sdk = sdkOf("aws-s3", "@aws-sdk/client-s3");
  const { S3Client, GetObjectCommand } = sdk.module;
  const { OffsetStore } = await import(dist("diagnosis"));
  const { startS3TestServer } = await import(dist("testkit"));
  const { getSkewRecoveryPlugin } = await import(dist("aws-s3"));
  const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

  /** A fresh client of `target`; `wrapped` adds the plugin with an offset store of its own. */
  function client(wrapped, maxAttempts, target = server) {
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: target.url,
      forcePathStyle: true,
      credentials: {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      },
      logger: quietLogger,
      ...(maxAttempts ? { maxAttempts } : {}),
    });
    const offsets = new OffsetStore();
    if (wrapped) s3.middlewareStack.use(getSkewRecoveryPlugin(s3.config, { offsets }));
    return { s3, offsets };
  }
  /** One GetObject, body read (an unread body holds its socket). */
  const getObject = async (s3) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));
    await got.Body.transformToString();
  };

  /** Bare against wrapped (and, with `twin`, bare against bare) on the server `target`. */
  const happyPath = async (target, { twin = false } = {}) => {
    const [bare, ours, other] = [false, true, false].map((w) => client(w, undefined, target).s3);
    try {
      return await alternate({
        rounds,
        warmup: 200,
        bare: () => getObject(bare),
        ours: () => getObject(ours),
        ...(twin ? { twin: () => getObject(other) } : {}),
      });
    } finally {
      for (const s3 of [bare, ours, other]) s3.destroy();
    }
  };

  const happy = await withServerProcess("s3", (apart) => happyPath(apart, { twin: true }));

  const server = await startS3TestServer({ idleTimeoutMs: 0 });
  server.objects.set("b/k", Buffer.from("benchmark object"));
  try {
    server.setClockOffset(0);
    happy.sameProcess = (await happyPath(server)).ratio;

    // Recovered vs unskewed on one warm wrapped client: its store is emptied before each call,
    // so each skewed call starts from nothing learned, as a fresh client would. The refusal
    // is timed on a warm bare client allowed one attempt.
    const warm = client(true);
    const refusing = client(false, 1).s3;
    const recovery = await recoveredExtra({
      runs: recoveryRuns,
      unskewed: () => {
        server.setClockOffset(0);
        warm.offsets.clear();
        return timed(() => getObject(warm.s3));
      },
      recovered: () => {
        server.setClockOffset(SKEW_MS);
        warm.offsets.clear();
        return timed(() => getObject(warm.s3));
      },
      refused: () => {
        // The SDK learned the offset from the last refusal: forget it, so this one is refused.
        refusing.config.systemClockOffset = 0;
        return timedFailure(() => getObject(refusing));
      },
    });

    // The same recovered call when the refusal's error body is padded to 10 MiB: read up to
    // skewguard's cap, the rest discarded (the fault suite checks the outcome, this the time).
    // Beside it, the bare SDK's refusal of the same body (it reads all of it).
    server.setFault({ kind: "huge-error-body" });
    server.setClockOffset(SKEW_MS);
    recovery.hugeRefusalRecoveredMs = await medianOf(HUGE_REFUSAL_RUNS, () => {
      warm.offsets.clear();
      return timed(() => getObject(warm.s3));
    });
    recovery.hugeRefusalBareMs = await medianOf(HUGE_REFUSAL_RUNS, () => {
      refusing.config.systemClockOffset = 0;
      return timedFailure(() => getObject(refusing));
    });
    server.setFault(undefined);
    refusing.destroy();
    warm.s3.destroy();

    // The bare SDK's own recovery of a first call, for comparison: a retry after a backoff.
    server.setClockOffset(SKEW_MS);
    const bareFirst = [];
    for (let i = 0; i < 10; i++) {
      const fresh = client(false).s3;
      bareFirst.push(await timed(() => getObject(fresh)));
      fresh.destroy();
    }
    recovery.bareSdkFirstCallMs = round(median(bareFirst));

    const burstRows = [];
    for (const n of bursts) {
      const row = { n };
      for (const wrapped of [false, true]) {
        server.setClockOffset(SKEW_MS);
        const fresh = client(wrapped).s3;
        row[wrapped ? "ours" : "bare"] = await burst({
          n,
          call: () => getObject(fresh),
          attempts: () => server.attempts,
        });
        fresh.destroy();
      }
      burstRows.push(row);
    }
    return {
      provider: "s3",
      sdk: `@aws-sdk/client-s3 ${sdk.version}`,
      operation: "GetObject",
      happy,
      recovery,
      bursts: burstRows,
      notes: [],
    };
  } finally {
    await server.close();
  }
}
