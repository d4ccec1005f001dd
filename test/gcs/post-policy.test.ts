import type { File } from "@google-cloud/storage";
import { generateSignedPostPolicyV4 } from "@skewguard/gcs";
import type { GcsTestServer } from "@skewguard/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gcsServer, MINUTE, measuredOnStorage, recorder, SKEWS, storageFor } from "./fixtures.js";

/**
 * Browser form uploads with a V4 POST policy: the library's policy expires ten minutes after the
 * local clock; the drop-in's ten minutes after the server's. Each form is posted as a browser
 * posts it (its fields in order, the file last) to the URL it came with, and the fake checks
 * the signature, the conditions and the expiration on its own clock.
 */

afterEach(() => {
  vi.unstubAllEnvs();
});

/**
 * Whether the library gives an emulator's form URL the bucket (7.20 and later); where it does
 * not, the form posts to `<url>/bkt`, as the gcs README says.
 */
const URL_CARRIES_BUCKET = measuredOnStorage({ "7.15.0": false, "8.4.0": true });

/** Posts a policy's form with `bytes` as the file; the status and GCS's error code. */
async function post(
  policy: { url: string; fields: Record<string, string> },
  bytes: Buffer,
): Promise<{ status: number; code: string | undefined }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(policy.fields)) form.append(name, value);
  form.append("file", new Blob([bytes], { type: "image/png" }), "photo.png");
  const action = URL_CARRIES_BUCKET ? policy.url : `${policy.url}/bkt`;
  const response = await fetch(action, { method: "POST", body: form });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

/** The same client an emulator user has: `STORAGE_EMULATOR_HOST` makes the form URL carry the bucket. */
async function emulatorFile(server: GcsTestServer, name: string): Promise<File> {
  vi.stubEnv("STORAGE_EMULATOR_HOST", server.url);
  const storage = await storageFor(server, { wrap: recorder().options });
  return storage.bucket("bkt").file(name);
}

describe.each(SKEWS)("V4 POST policies with the server clock %s", (_, skew) => {
  it("the library's policy lives ten minutes by the local clock; the drop-in's by the server's", async () => {
    const server = await gcsServer(skew);
    const file = await emulatorFile(server, "uploads/photo.png");
    const options = {
      expires: Date.now() + 10 * MINUTE,
      fields: { "content-type": "image/png" },
      conditions: [["content-length-range", 1, 1_000_000]],
    };
    const [bare] = await file.generateSignedPostPolicyV4(structuredClone(options));
    const [ours] = await generateSignedPostPolicyV4(file, structuredClone(options));
    expect(ours.url).toBe(URL_CARRIES_BUCKET ? `${server.url}/bkt` : server.url);
    expect(bare.url).toBe(ours.url);
    expect(Object.keys(ours.fields)).toEqual(Object.keys(bare.fields));

    const bareBytes = Buffer.from("bare policy");
    const ourBytes = Buffer.from("skewguard policy");
    const now = [(await post(bare, bareBytes)).status, (await post(ours, ourBytes)).status];
    const stored = server.objects.get("bkt/uploads/photo.png");
    // Eleven minutes later by the server's clock.
    server.setClockOffset(skew + 11 * MINUTE);
    const laterBare = await post(bare, bareBytes);
    const laterOurs = await post(ours, ourBytes);

    // The server behind: the library's policy is still good (it lives 30 minutes); ahead, it
    // has expired before it is used.
    const bareNow = skew < 0 ? 204 : 400;
    expect({ now, later: [laterBare.status, laterOurs.status] }).toEqual({
      now: [bareNow, 204],
      later: [bareNow, 400],
    });
    expect(laterOurs.code).toBe("InvalidPolicyDocument");
    // The drop-in's form stored its bytes (the bare one's first, when it was accepted).
    expect(stored?.equals(ourBytes)).toBe(true);
    // One probe of the endpoint's clock, then the four posts.
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 5 });
  });
});

describe("the fake checks the form as GCS does", () => {
  it("a field the policy does not name, a file too large and a changed policy are refused", async () => {
    const server = await gcsServer(0);
    const file = await emulatorFile(server, "x.bin");
    const [policy] = await generateSignedPostPolicyV4(file, {
      expires: Date.now() + MINUTE,
      conditions: [["content-length-range", 0, 10]],
    });
    const extra = await post(
      { ...policy, fields: { ...policy.fields, acl: "public-read" } },
      Buffer.from("1"),
    );
    const large = await post(policy, Buffer.alloc(11));
    const tampered = Buffer.from(policy.fields["policy"] ?? "", "base64")
      .toString()
      .replace('"content-length-range",0,10', '"content-length-range",0,1000');
    const forged = await post(
      { ...policy, fields: { ...policy.fields, policy: Buffer.from(tampered).toString("base64") } },
      Buffer.alloc(11),
    );
    const ok = await post(policy, Buffer.alloc(10, 1));
    expect([extra, large, forged, ok]).toEqual([
      { status: 400, code: "InvalidPolicyDocument" },
      { status: 400, code: "EntityTooLarge" },
      { status: 403, code: "SignatureDoesNotMatch" },
      { status: 204, code: undefined },
    ]);
    expect(server.objects.get("bkt/x.bin")?.equals(Buffer.alloc(10, 1))).toBe(true);
  });
});
