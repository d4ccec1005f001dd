// The GCS part of `pnpm bench`: @google-cloud/storage bare against the same client with
// skewguard, on the testkit's GCS fake (OAuth token endpoint + JSON API). The happy path is
// timed against a server in a process of its own, and again against one in this process; the
// rest runs against one in this process (the bench changes its clock and faults). The
// clock matters at the service-account token grant (the JWT's iat/exp), so a skewed call is
// one whose client has no token yet: the recovery figures use fresh clients.
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

export async function runGcsBench({ rounds, recoveryRuns, bursts }) {
  const sdk = sdkOf("gcs", "@google-cloud/storage");
  const { Storage } = sdk.module;
  // The service account as an auth client: google-auth-library 10 and later warn, on every
  // client made, that `credentials` is deprecated.
  const { JWT } = sdkOf("gcs", "google-auth-library").module;
  const { OffsetStore } = await import(dist("diagnosis"));
  const { startGcsTestServer, redirectGoogleTokenRequests, testServiceAccount } = await import(
    dist("testkit")
  );
  const { withSkewRecovery } = await import(dist("gcs"));

  const account = testServiceAccount();

  /** A fresh client of `target`; `wrapped` adds skewguard with an offset store of its own. */
  async function client(wrapped, target = server) {
    const bare = new Storage({
      apiEndpoint: target.url,
      useAuthWithCustomEndpoint: true,
      projectId: "bench",
      authClient: new JWT({
        email: (target.account ?? account).client_email,
        key: (target.account ?? account).private_key,
        scopes: ["https://www.googleapis.com/auth/cloud-platform"],
      }),
      retryOptions: { autoRetry: false },
    });
    const storage = wrapped ? withSkewRecovery(bare, { offsets: new OffsetStore() }) : bare;
    redirectGoogleTokenRequests(await storage.authClient.getClient(), target.tokenUrl);
    return storage;
  }
  const download = (storage) => storage.bucket("b").file("k").download();

  /** Bare against wrapped (and, with `twin`, bare against bare) on the server `target`. */
  const happyPath = async (target, { twin = false } = {}) => {
    const bare = await client(false, target);
    const ours = await client(true, target);
    const other = await client(false, target);
    return alternate({
      rounds,
      warmup: 100,
      bare: () => download(bare),
      ours: () => download(ours),
      ...(twin ? { twin: () => download(other) } : {}),
    });
  };

  const happy = await withServerProcess("gcs", (apart) => happyPath(apart, { twin: true }));

  const server = await startGcsTestServer({ idleTimeoutMs: 10 * 60_000 });
  server.objects.set("b/k", Buffer.from("benchmark object"));
  const requests = () => server.counts.token + server.counts.json + server.counts.xml;
  try {
    server.setClockOffset(0);
    happy.sameProcess = (await happyPath(server)).ratio;

    // The clock is checked at the token grant: fresh clients, so each call grants. The
    // refusal is a fresh bare client's call at +20 min: a JWT signed, a grant refused.
    const recovery = await recoveredExtra({
      runs: recoveryRuns,
      unskewed: async () => {
        server.setClockOffset(0);
        const fresh = await client(true);
        return timed(() => download(fresh));
      },
      recovered: async () => {
        server.setClockOffset(SKEW_MS);
        const fresh = await client(true);
        return timed(() => download(fresh));
      },
      refused: async () => {
        server.setClockOffset(SKEW_MS);
        const fresh = await client(false);
        return timedFailure(() => download(fresh));
      },
    });

    // The same recovered call when the grant's refusal is padded to 10 MiB: read up to
    // skewguard's cap, the rest discarded (the fault suite checks the outcome, this the time).
    // Beside it, the bare SDK's refusal of the same body.
    server.setFaults({ token: { kind: "huge-body", bytes: 10 * 1024 * 1024 } });
    server.setClockOffset(SKEW_MS);
    recovery.hugeRefusalRecoveredMs = await medianOf(HUGE_REFUSAL_RUNS, async () => {
      const fresh = await client(true);
      return timed(() => download(fresh));
    });
    recovery.hugeRefusalBareMs = await medianOf(HUGE_REFUSAL_RUNS, async () => {
      const fresh = await client(false);
      return timedFailure(() => download(fresh));
    });
    server.setFaults({});

    const burstRows = [];
    for (const n of bursts) {
      const row = { n };
      for (const wrapped of [false, true]) {
        server.setClockOffset(SKEW_MS);
        const fresh = await client(wrapped);
        row[wrapped ? "ours" : "bare"] = await burst({
          n,
          call: () => download(fresh),
          attempts: requests,
        });
      }
      burstRows.push(row);
    }
    return {
      provider: "gcs",
      sdk: `@google-cloud/storage ${sdk.version}`,
      operation: "file.download (service-account token)",
      happy,
      recovery,
      bursts: burstRows,
      notes: [
        "attempts count token grants and API requests; a fresh client's calls share one grant",
      ],
    };
  } finally {
    await server.close();
  }
}
