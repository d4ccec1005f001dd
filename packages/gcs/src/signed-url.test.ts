import { type GetSignedUrlConfig, Storage } from "@google-cloud/storage";
import { OffsetStore } from "@skewguard/diagnosis";
import { testServiceAccount } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";
import { getSignedUrl, signingWindow } from "./signed-url.js";
import { withSkewRecovery } from "./with-skew-recovery.js";

const MINUTE = 60_000;
// Real time, whole seconds: the SDK checks `expires` against the real clock.
const NOW = Math.floor(Date.now() / 1000) * 1000;

function client(offsetMs: number, apiEndpoint?: string) {
  const account = testServiceAccount();
  const storage = new Storage({
    projectId: "p",
    credentials: { client_email: account.client_email, private_key: account.private_key },
    ...(apiEndpoint ? { apiEndpoint } : {}),
  });
  const offsets = new OffsetStore();
  const estimate = { offsetMs, lowMs: offsetMs, highMs: offsetMs, samples: 1, updatedAt: NOW };
  for (const host of ["storage.googleapis.com", "127.0.0.1:9", "[::1]:9"])
    offsets.set(host, estimate);
  return withSkewRecovery(storage, { clock: { now: () => NOW }, offsets, probe: false });
}

/** Origin and path, and the query as a sorted list: parameter order is not part of a signature. */
function parts(url: string) {
  const parsed = new URL(url);
  return {
    base: `${parsed.origin}${parsed.pathname}`,
    query: [...parsed.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

const CASES: Array<[string, Partial<GetSignedUrlConfig>, string?]> = [
  ["read, an object name that needs encoding", { action: "read" }],
  [
    "write with content type and MD5",
    { action: "write", contentType: "text/plain", contentMd5: "rL0Y20zC+Fzt72VPzMSk2A==" },
  ],
  ["resumable start", { action: "resumable" }],
  ["delete", { action: "delete" }],
  [
    "extension headers",
    {
      action: "read",
      extensionHeaders: { "X-Goog-Meta-Foo": "  a   b ", "x-goog-acl": "private" },
    },
  ],
  [
    "response type and save-as",
    { action: "read", responseType: "text/csv", promptSaveAs: "r é.csv" },
  ],
  [
    "disposition and query parameters",
    {
      action: "read",
      responseDisposition: "inline",
      queryParams: { userProject: "p", "a b": "c/d" },
    },
  ],
  ["virtual-hosted style", { action: "read", virtualHostedStyle: true }],
  ["cname", { action: "read", cname: "https://cdn.example.com" }],
  ["host", { action: "write", host: "http://127.0.0.1:9/" }],
  ["a custom apiEndpoint", { action: "read" }, "http://[::1]:9"],
];

describe.each([
  ["v4", "v4"],
  ["v2", "v2"],
  ["no version (the library's default)", undefined],
] as const)(
  "getSignedUrl, %s, reproduces file.getSignedUrl when the clocks agree",
  (_, version) => {
    for (const [name, extra, apiEndpoint] of CASES) {
      it(name, async () => {
        const storage = client(0, apiEndpoint);
        const file = storage.bucket("my-bucket").file("dir/ä b+c!*'();.txt");
        const config = {
          ...(version ? { version } : {}),
          accessibleAt: NOW,
          expires: NOW + 15 * MINUTE,
          ...extra,
        } as GetSignedUrlConfig;
        const [sdk] = await file.getSignedUrl(config);
        const [ours] = await getSignedUrl(file, config);
        // The signatures are equal too: RSA PKCS#1 v1.5 is deterministic.
        expect(parts(ours)).toEqual(parts(sdk));
      });
    }

    it("a file with a generation", async () => {
      const file = client(0).bucket("b").file("g", { generation: 123 });
      const config = {
        ...(version ? { version } : {}),
        action: "read",
        accessibleAt: NOW,
        expires: NOW + MINUTE,
      } as const;
      expect(parts((await getSignedUrl(file, config))[0])).toEqual(
        parts((await file.getSignedUrl(config))[0]),
      );
    });
  },
);

describe("the signing version", () => {
  it("is V2 without one, as in the installed library", async () => {
    const file = client(0).bucket("b").file("o");
    const config = { action: "read", expires: NOW + MINUTE } as const;
    const [sdk] = await file.getSignedUrl(config);
    const [ours] = await getSignedUrl(file, config);
    expect(new URL(sdk).searchParams.has("GoogleAccessId")).toBe(true);
    expect(new URL(ours).searchParams.has("GoogleAccessId")).toBe(true);
  });

  it("an unknown version is the library's to refuse, with its words", async () => {
    const file = client(0).bucket("b").file("o");
    const config = {
      version: "v3",
      action: "read",
      expires: NOW + MINUTE,
    } as unknown as GetSignedUrlConfig;
    const ours = await getSignedUrl(file, config).catch((e: unknown) => (e as Error).message);
    const sdk = await file.getSignedUrl(config).catch((e: unknown) => (e as Error).message);
    expect(ours).toBe(sdk);
    expect(ours).toMatch(/Invalid signed URL version: v3/);
  });

  it("V2 has no seven-day limit; V4 keeps the library's", async () => {
    const file = client(0).bucket("b").file("o");
    const expires = NOW + 8 * 24 * 60 * MINUTE;
    const [v2] = await getSignedUrl(file, { version: "v2", action: "read", expires });
    expect(new URL(v2).searchParams.get("Expires")).toBe(String(Math.floor(expires / 1000)));
    await expect(getSignedUrl(file, { version: "v4", action: "read", expires })).rejects.toThrow(
      "Max allowed expiration is seven days (604800 seconds).",
    );
  });
});

describe("getSignedUrl on a learned offset", () => {
  it.each([
    ["-20 min", -20 * MINUTE],
    ["+70 min", 70 * MINUTE],
  ])("server %s: X-Goog-Date moves by the offset, the lifetime stays", async (_, offset) => {
    const file = client(offset).bucket("b").file("o");
    const [url] = await getSignedUrl(file, {
      version: "v4",
      action: "read",
      expires: NOW + 10 * MINUTE,
    });
    const params = new URL(url).searchParams;
    const expected = new Date(NOW + offset).toISOString().replace(/[-:]/g, "").replace(".000", "");
    expect(params.get("X-Goog-Date")).toBe(expected);
    expect(params.get("X-Goog-Expires")).toBe("600");
    expect(params.get("X-Goog-Credential")).toMatch(
      new RegExp(`/${expected.slice(0, 8)}/auto/storage/goog4_request$`),
    );
  });
});

describe("a V2 URL on a learned offset", () => {
  it.each([
    ["-20 min", -20 * MINUTE],
    ["+2 h", 120 * MINUTE],
  ])("server %s: Expires moves by the offset", async (_, offset) => {
    const file = client(offset).bucket("b").file("o");
    const [url] = await getSignedUrl(file, { action: "read", expires: NOW + 10 * MINUTE });
    expect(new URL(url).searchParams.get("Expires")).toBe(String((NOW + offset) / 1000 + 600));
  });

  it("signs an expiry that is already past on the local clock, where the library throws", async () => {
    const file = client(-20 * MINUTE)
      .bucket("b")
      .file("o");
    // 10 minutes by the server's clock, which is 20 behind: the library refuses this expiry.
    const expires = NOW + 10 * MINUTE;
    const [url] = await getSignedUrl(file, { version: "v2", action: "read", expires });
    expect(Number(new URL(url).searchParams.get("Expires")) * 1000).toBeLessThan(NOW);
    await expect(
      file.getSignedUrl({ version: "v2", action: "read", expires: expires - 20 * MINUTE }),
    ).rejects.toThrow("An expiration date cannot be in the past.");
  });
});

describe("signingWindow", () => {
  it("reads the user's times on the local clock, in whole seconds", () => {
    expect(signingWindow({ action: "read", expires: NOW + 90_500 }, NOW + 400)).toEqual({
      startsAtMs: NOW,
      expiresAtMs: NOW + 90_500,
      lifetimeSeconds: 90,
    });
    expect(
      signingWindow({ action: "read", accessibleAt: NOW + MINUTE, expires: NOW + 2 * MINUTE }, NOW),
    ).toEqual({ startsAtMs: NOW + MINUTE, expiresAtMs: NOW + 2 * MINUTE, lifetimeSeconds: 60 });
  });

  it("gives a URL expiring this very second its one second", () => {
    expect(signingWindow({ action: "read", expires: NOW + 900 }, NOW + 100).lifetimeSeconds).toBe(
      1,
    );
  });
});
