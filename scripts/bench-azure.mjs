// The Azure part of `pnpm bench`: @azure/storage-blob bare against the same client with
// skewguard, on the testkit's Azure server (Azurite behind the skew-enforcing proxy). The happy
// path is timed against a server in a process of its own, and again against one in this
// process; the rest runs against one in this process (the bench changes its clock and faults).
import {
  HUGE_REFUSAL_RUNS,
  SKEW_MS,
  alternate,
  burst,
  dist,
  medianOf,
  recoveredExtra,
  sdkOf,
  timed,
  timedFailure,
  withServerProcess,
} from "./bench-stats.mjs";

export async function runAzureBench({ rounds, recoveryRuns, bursts, burstTimeoutMs }) {
  const sdk = sdkOf("azure-blob", "@azure/storage-blob");
  const { BlobServiceClient, StorageSharedKeyCredential } = sdk.module;
  const { OffsetStore } = await import(dist("diagnosis"));
  const { startAzureTestServer } = await import(dist("testkit"));
  const { withSkewRecovery } = await import(dist("azure-blob"));

  /** A fresh service client of `target`; `wrapped` adds skewguard with an offset store of its own. */
  function client(wrapped, target = server) {
    const service = new BlobServiceClient(
      target.serviceUrl,
      new StorageSharedKeyCredential(target.accountName, target.accountKey),
    );
    const offsets = new OffsetStore();
    if (wrapped) withSkewRecovery(service, { offsets });
    const blob = service.getContainerClient("bench").getBlockBlobClient("k");
    return { blob, offsets };
  }
  /** One download, body read (one request: `download`, not `downloadToBuffer`). */
  const download = async (blob) => {
    const response = await blob.download();
    for await (const _ of response.readableStreamBody ?? []);
  };
  /** The benchmark's blob, stored through a bare client. */
  const store = async (target) => {
    const container = new BlobServiceClient(
      target.serviceUrl,
      new StorageSharedKeyCredential(target.accountName, target.accountKey),
    ).getContainerClient("bench");
    await container.createIfNotExists();
    const payload = Buffer.from("benchmark object");
    await container.getBlockBlobClient("k").upload(payload, payload.length);
  };
  /** Bare against wrapped (and, with `twin`, bare against bare) on the server `target`. */
  const happyPath = async (target, { twin = false } = {}) => {
    await store(target);
    const bare = client(false, target).blob;
    const ours = client(true, target).blob;
    const other = client(false, target).blob;
    return alternate({
      rounds,
      warmup: 100,
      bare: () => download(bare),
      ours: () => download(ours),
      ...(twin ? { twin: () => download(other) } : {}),
    });
  };

  const happy = await withServerProcess("azure", (apart) => happyPath(apart, { twin: true }));

  const server = await startAzureTestServer();
  try {
    server.setClockOffset(0);
    happy.sameProcess = (await happyPath(server)).ratio;
    const bare = client(false).blob;

    // Recovered vs unskewed on one warm wrapped client: its store is emptied before each call,
    // so each skewed call starts from nothing learned. The refusal (a 403 from the proxy, which
    // the bare SDK never retries) is timed on a warm bare client.
    const warm = client(true);
    const recovery = await recoveredExtra({
      runs: recoveryRuns,
      unskewed: () => {
        server.setClockOffset(0);
        warm.offsets.clear();
        return timed(() => download(warm.blob));
      },
      recovered: () => {
        server.setClockOffset(SKEW_MS);
        warm.offsets.clear();
        return timed(() => download(warm.blob));
      },
      refused: () => timedFailure(() => download(bare)),
    });

    // The same recovered call when the refusal's error body is padded to 10 MiB: read up to
    // skewguard's cap, the rest discarded (the fault suite checks the outcome, this the time).
    // Beside it, the bare SDK's refusal of the same body.
    server.setFaults({ errorBody: "huge" });
    server.setClockOffset(SKEW_MS);
    recovery.hugeRefusalRecoveredMs = await medianOf(HUGE_REFUSAL_RUNS, () => {
      warm.offsets.clear();
      return timed(() => download(warm.blob));
    });
    recovery.hugeRefusalBareMs = await medianOf(HUGE_REFUSAL_RUNS, () =>
      timedFailure(() => download(bare)),
    );
    server.setFaults({});

    const burstRows = [];
    const notes = [];
    for (const n of bursts) {
      const row = { n };
      for (const wrapped of [false, true]) {
        server.setClockOffset(SKEW_MS);
        const fresh = client(wrapped).blob;
        row[wrapped ? "ours" : "bare"] = await burst({
          n,
          call: () => download(fresh),
          attempts: () => server.attempts,
          timeoutMs: burstTimeoutMs,
        });
      }
      if (row.bare.timedOut || row.ours.timedOut) {
        notes.push(`burst of ${n} did not finish within ${burstTimeoutMs} ms on Azurite`);
      }
      burstRows.push(row);
    }
    return {
      provider: "azure",
      sdk: `@azure/storage-blob ${sdk.version}`,
      operation: "BlockBlobClient.download",
      happy,
      recovery,
      bursts: burstRows,
      notes,
    };
  } finally {
    await server.close();
  }
}
