import { type GenerateSignedPostPolicyV4Options, Storage } from "@google-cloud/storage";
import { OffsetStore } from "@skewguard/diagnosis";
import { testServiceAccount } from "@skewguard/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateSignedPostPolicyV4 } from "./post-policy.js";
import { withSkewRecovery } from "./with-skew-recovery.js";

const MINUTE = 60_000;
// Whole seconds plus a fraction: the library drops the fraction, the drop-in must too.
const NOW = Date.UTC(2026, 10, 23, 10, 20, 30, 250);

beforeEach(() => {
  // The library reads `new Date()`; the drop-in reads the injected clock. Both see NOW.
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

function client(offsetMs: number, extra: { apiEndpoint?: string; universeDomain?: string } = {}) {
  const account = testServiceAccount();
  const storage = new Storage({
    projectId: "p",
    credentials: { client_email: account.client_email, private_key: account.private_key },
    ...extra,
  });
  const offsets = new OffsetStore();
  const estimate = { offsetMs, lowMs: offsetMs, highMs: offsetMs, samples: 1, updatedAt: NOW };
  for (const host of ["storage.googleapis.com", "127.0.0.1:9", "storage.example.com"]) {
    offsets.set(host, estimate);
  }
  return withSkewRecovery(storage, { clock: { now: () => NOW }, offsets, probe: false });
}

const decoded = (policy: string | undefined) =>
  JSON.parse(Buffer.from(policy ?? "", "base64").toString("utf8")) as {
    conditions: unknown[];
    expiration: string;
  };

const CASES: Array<
  [string, GenerateSignedPostPolicyV4Options, { apiEndpoint?: string; universeDomain?: string }?]
> = [
  ["plain", { expires: NOW + 10 * MINUTE }],
  [
    "fields and conditions, an x-ignore field, non-ASCII",
    {
      expires: NOW + 10 * MINUTE,
      fields: { "x-goog-meta-note": "café ☕", acl: "public-read", "x-ignore-this": "1" },
      conditions: [
        ["starts-with", "$key", "up"],
        ["content-length-range", 0, 1024],
      ],
    },
  ],
  [
    "a field named key takes the object's name",
    { expires: NOW + MINUTE, fields: { key: "other" } },
  ],
  ["virtual-hosted style", { expires: NOW + MINUTE, virtualHostedStyle: true }],
  [
    "bucket-bound hostname",
    { expires: NOW + MINUTE, bucketBoundHostname: "https://cdn.example.com" },
  ],
  ["another universe", { expires: NOW + MINUTE }, { universeDomain: "example.com" }],
  [
    "a custom apiEndpoint (the library's URL, without the bucket)",
    { expires: NOW + MINUTE },
    { apiEndpoint: "http://127.0.0.1:9" },
  ],
  ["an ISO expires string", { expires: new Date(NOW + 5 * MINUTE).toISOString() }],
];

describe("generateSignedPostPolicyV4 reproduces file.generateSignedPostPolicyV4 when the clocks agree", () => {
  for (const [name, options, extra] of CASES) {
    it(name, async () => {
      const file = client(0, extra).bucket("my-bucket").file("uploads/ä b.png");
      const [sdk] = await file.generateSignedPostPolicyV4(structuredClone(options));
      const [ours] = await generateSignedPostPolicyV4(file, structuredClone(options));
      // Fields and signature equal: RSA PKCS#1 v1.5 is deterministic.
      expect(ours).toEqual(sdk);
      expect(Object.keys(ours.fields)).toEqual(Object.keys(sdk.fields));
    });
  }

  it("the emulator's URL carries the bucket, as the library's does with STORAGE_EMULATOR_HOST", async () => {
    vi.stubEnv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9");
    const file = client(0, { apiEndpoint: "http://127.0.0.1:9" }).bucket("b").file("o");
    const [sdk] = await file.generateSignedPostPolicyV4({ expires: NOW + MINUTE });
    const [ours] = await generateSignedPostPolicyV4(file, { expires: NOW + MINUTE });
    expect(ours).toEqual(sdk);
    expect(ours.url).toBe("http://127.0.0.1:9/b");
  });

  it("does not change the caller's options (the library appends to its conditions)", async () => {
    const file = client(0).bucket("b").file("o");
    const options = { expires: NOW + MINUTE, conditions: [["starts-with", "$key", "o"]] };
    await generateSignedPostPolicyV4(file, options);
    expect(options.conditions).toEqual([["starts-with", "$key", "o"]]);
  });
});

describe("generateSignedPostPolicyV4 on a learned offset", () => {
  it.each([
    ["-20 min", -20 * MINUTE],
    ["+2 h", 120 * MINUTE],
  ])(
    "server %s: x-goog-date and the expiration move by the offset; the lifetime stays",
    async (_, offset) => {
      const file = client(offset).bucket("b").file("o");
      const [{ fields }] = await generateSignedPostPolicyV4(file, { expires: NOW + 10 * MINUTE });
      const serverNow = new Date(Math.floor((NOW + offset) / 1000) * 1000);
      const date = serverNow.toISOString().replace(/[-:]/g, "").replace(".000", "");
      expect(fields["x-goog-date"]).toBe(date);
      expect(fields["x-goog-credential"]).toMatch(
        new RegExp(`/${date.slice(0, 8)}/auto/storage/goog4_request$`),
      );
      const policy = decoded(fields["policy"]);
      expect(Date.parse(policy.expiration) - serverNow.valueOf()).toBe(10 * MINUTE);
      expect(policy.conditions).toContainEqual({ "x-goog-date": date });
    },
  );

  it("signs an expiry the server's clock needs even where the library's would be past", async () => {
    // Server 20 minutes behind: a policy for 10 minutes expires, by the server's clock, at a
    // time the local clock has already passed. The library refuses to sign that time.
    const file = client(-20 * MINUTE)
      .bucket("b")
      .file("o");
    const [{ fields }] = await generateSignedPostPolicyV4(file, { expires: NOW + 10 * MINUTE });
    expect(Date.parse(decoded(fields["policy"]).expiration)).toBeLessThan(NOW);
    await expect(file.generateSignedPostPolicyV4({ expires: NOW - 10 * MINUTE })).rejects.toThrow(
      "An expiration date cannot be in the past.",
    );
  });
});

describe("generateSignedPostPolicyV4 refuses what the library refuses, with its words", () => {
  it.each([
    ["an invalid expires", "soon"],
    ["an expires in the past", NOW - 1],
    ["an expires more than seven days away", NOW + 7 * 24 * 60 * MINUTE + 1],
  ])("%s", async (_, expires) => {
    const file = client(0).bucket("b").file("o");
    const ours = await generateSignedPostPolicyV4(file, { expires }).catch((e: Error) => e);
    const sdk = await file.generateSignedPostPolicyV4({ expires }).catch((e: Error) => e);
    expect(ours).toBeInstanceOf(Error);
    expect((ours as Error).message).toBe((sdk as Error).message);
  });

  it("something that is not a File: SKEWGUARD_UNSUPPORTED_CLIENT", async () => {
    await expect(
      generateSignedPostPolicyV4({} as never, { expires: NOW + MINUTE }),
    ).rejects.toMatchObject({ code: "SKEWGUARD_UNSUPPORTED_CLIENT" });
  });
});
