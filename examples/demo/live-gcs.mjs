// The GCS part of the live demo: the testkit's GCS fake (token endpoint + JSON API), 70 minutes
// ahead, with a service-account key.
import { Storage } from "@google-cloud/storage";
import { withSkewRecovery } from "@skewguard/gcs";
import {
  generateTestPrivateKey,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";

const REPORT = Buffer.from("region,quarter,revenue\nemea,q4,1200\n");

export const gcs = {
  title: "Google Cloud Storage",
  sdk: "@google-cloud/storage",
  wrapper: "withSkewRecovery",
  serverOffsetMs: 70 * 60_000,
  secrets: [],

  start: (clockOffsetMs) => startGcsTestServer({ clockOffsetMs }),
  // Token grants count: a failed grant is the attempt the user sees fail.
  attempts: ({ counts }) => counts.token + counts.json + counts.xml,
  attemptsNote: "token grants included",

  async connect(server, { wrap, onEvent, privateKey }) {
    const key = testServiceAccount(undefined, privateKey ? { privateKey } : {});
    const bare = new Storage({
      apiEndpoint: server.url,
      useAuthWithCustomEndpoint: true,
      projectId: "demo-project",
      credentials: { client_email: key.client_email, private_key: key.private_key },
    });
    const storage = wrap ? withSkewRecovery(bare, { onEvent }) : bare;
    // Demo plumbing, not part of using skewguard: google-auth-library posts grants to Google
    // whatever the key says; this sends them to the fake.
    redirectGoogleTokenRequests(await storage.authClient.getClient(), server.tokenUrl);
    return { client: storage, close: () => {} };
  },

  calls: [
    {
      call: "upload q4.csv",
      run: (storage) => fileOf(storage).save(REPORT, { resumable: false }),
    },
    {
      call: "download q4.csv",
      run: async (storage) => {
        const [bytes] = await fileOf(storage).download();
        if (!bytes.equals(REPORT)) throw new Error("the bytes read back differ");
      },
    },
    {
      call: "list reports",
      run: (storage) => storage.bucket("reports").getFiles(),
    },
  ],

  wrongKey: {
    call: "list with another account's key",
    connect: (server, options) =>
      gcs.connect(server, { ...options, privateKey: generateTestPrivateKey() }),
    run: (storage) => storage.bucket("reports").getFiles(),
  },

  errorCode: (error) => error.response?.data?.error ?? error.code ?? error.name,
  errorText: (error) => `${error.name}: ${error.message}`,
};

const fileOf = (storage) => storage.bucket("reports").file("q4.csv");
