import { getSignedUrl } from "@skewguard/gcs";
import { describe, expect, it } from "vitest";
import { gcsServer, MINUTE, recorder, SKEWS, signedTimes, storageFor } from "./fixtures.js";

const TEN_MINUTES = 10 * MINUTE;

describe.each(SKEWS)("V4 signed URLs with the server clock %s", (_, skew) => {
  it("the SDK's URL is refused; skewguard's, after learning, writes and reads (200)", async () => {
    const server = await gcsServer(skew);
    const rec = recorder();
    const storage = await storageFor(server, { wrap: rec.options });
    await storage.bucket("bkt").getFiles(); // learns the offset (and grants twice)
    const file = storage.bucket("bkt").file("signed/ä b+c.bin");
    const expires = Date.now() + TEN_MINUTES;

    const [bareUrl] = await file.getSignedUrl({ version: "v4", action: "read", expires });
    const [writeUrl] = await getSignedUrl(file, { version: "v4", action: "write", expires });
    const [readUrl] = await getSignedUrl(file, { version: "v4", action: "read", expires });
    server.resetCounts();
    const bare = await fetch(bareUrl);
    const bytes = Buffer.from([1, 2, 3, 0, 255]);
    const put = await fetch(writeUrl, { method: "PUT", body: bytes });
    const get = await fetch(readUrl);

    expect(bare.status).toBe(400);
    expect(put.status).toBe(200);
    expect(get.status).toBe(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 3 });

    // Asked to live ten minutes, it lives ten minutes by the server's clock.
    const { dateMs, expiresSeconds } = signedTimes(readUrl);
    expect(Math.abs(dateMs - server.now())).toBeLessThan(2_500);
    expect(expiresSeconds).toBeGreaterThanOrEqual(599);
    expect(expiresSeconds).toBeLessThanOrEqual(600);
  });

  it("before anything is learned: one HEAD probe, then a URL that works", async () => {
    const server = await gcsServer(skew);
    server.objects.set("bkt/p", Buffer.from("probed"));
    const storage = await storageFor(server, { wrap: recorder().options });
    const file = storage.bucket("bkt").file("p");
    const expires = Date.now() + TEN_MINUTES;

    const [first] = await getSignedUrl(file, { version: "v4", action: "read", expires });
    const [second] = await getSignedUrl(file, { version: "v4", action: "read", expires });
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 1 });
    const responses = await Promise.all([fetch(first), fetch(second)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(await responses[0]!.text()).toBe("probed");
  });
});

describe.each(SKEWS)(
  "V2 signed URLs, the library's default, with the server clock %s",
  (_, skew) => {
    it("no version given: the drop-in's V2 URL lives ten minutes by the server's clock; the SDK's by the local one", async () => {
      const server = await gcsServer(skew);
      const storage = await storageFor(server, { wrap: recorder().options });
      const file = storage.bucket("bkt").file("v2/ä b+c.bin");
      const bytes = Buffer.from([9, 8, 7, 0, 255]);
      const expires = Date.now() + TEN_MINUTES;

      const [bareUrl] = await file.getSignedUrl({ action: "read", expires });
      const [writeUrl] = await getSignedUrl(file, { action: "write", expires });
      const [readUrl] = await getSignedUrl(file, { action: "read", expires });
      // Both are V2: an absolute Expires, no signing time.
      for (const url of [bareUrl, writeUrl, readUrl]) {
        expect([...new URL(url).searchParams.keys()]).toEqual([
          "GoogleAccessId",
          "Expires",
          "Signature",
        ]);
      }
      const put = await fetch(writeUrl, { method: "PUT", body: bytes });
      const statuses = async () => [(await fetch(bareUrl)).status, (await fetch(readUrl)).status];
      const now = await statuses();
      // Eleven minutes later by the server's clock.
      server.setClockOffset(skew + 11 * MINUTE);
      const later = await statuses();

      expect(put.status).toBe(200);
      expect(server.objects.get("bkt/v2/ä b+c.bin")?.equals(bytes)).toBe(true);
      // The drop-in's: valid now, expired eleven minutes later, at every skew. The SDK's expires
      // ten minutes after the local clock: already, with the server ahead; twenty minutes late
      // with it behind.
      const bareLater = skew < 0 ? 200 : 400;
      expect({ now, later }).toEqual({ now: [bareLater, 200], later: [bareLater, 400] });
      const expired = await fetch(readUrl);
      expect(await expired.text()).toContain("<Code>ExpiredToken</Code>");
      const expiresAt = Number(new URL(readUrl).searchParams.get("Expires")) * 1000;
      expect(Math.abs(expiresAt - (expires + skew))).toBeLessThan(2_500);
    });
  },
);

describe("probing", () => {
  it("20 concurrent first signers share one probe", async () => {
    const server = await gcsServer(20 * MINUTE);
    server.objects.set("bkt/o", Buffer.from("x"));
    const storage = await storageFor(server, { wrap: recorder().options });
    const file = storage.bucket("bkt").file("o");
    const expires = Date.now() + TEN_MINUTES;
    const urls = await Promise.all(
      Array.from({ length: 20 }, () =>
        getSignedUrl(file, { version: "v4", action: "read", expires }),
      ),
    );
    expect(server.counts).toEqual({ token: 0, json: 0, xml: 1 });
    expect((await fetch(urls[19]![0])).status).toBe(200);
  });
});

describe("signing times", () => {
  it("signs an expiry that is past on the local clock, where the SDK throws", async () => {
    // The server is 20 minutes behind: its "now + 10 min" is 10 minutes ago locally.
    const server = await gcsServer(-20 * MINUTE);
    server.objects.set("bkt/o", Buffer.from("x"));
    const storage = await storageFor(server, { wrap: recorder().options });
    const file = storage.bucket("bkt").file("o");

    const correctedExpiry = server.now() + TEN_MINUTES;
    await expect(
      file.getSignedUrl({ version: "v4", action: "read", expires: correctedExpiry }),
    ).rejects.toThrow("An expiration date cannot be in the past.");

    const [url] = await getSignedUrl(file, {
      version: "v4",
      action: "read",
      expires: Date.now() + TEN_MINUTES,
    });
    expect((await fetch(url)).status).toBe(200);
  });

  it("keeps the SDK's errors for times that are wrong on the local clock", async () => {
    const server = await gcsServer(0);
    const storage = await storageFor(server, { wrap: recorder().options });
    const file = storage.bucket("bkt").file("o");
    const past = Date.now() - MINUTE;
    for (const config of [
      { expires: past },
      { expires: "not a date" },
      { expires: Date.now() + 8 * 24 * 60 * MINUTE },
      { expires: Date.now() + MINUTE, accessibleAt: Date.now() + 2 * MINUTE },
    ]) {
      const ours = await getSignedUrl(file, { version: "v4", action: "read", ...config }).catch(
        (e: Error) => e.message,
      );
      const sdk = await file
        .getSignedUrl({ version: "v4", action: "read", ...config })
        .catch((e: Error) => e.message);
      expect(ours).toBe(sdk);
    }
  });

  it("honours accessibleAt: the URL starts later by the server's clock", async () => {
    const server = await gcsServer(70 * MINUTE);
    server.objects.set("bkt/o", Buffer.from("x"));
    const storage = await storageFor(server, { wrap: recorder().options });
    const file = storage.bucket("bkt").file("o");
    const now = Date.now();
    const [url] = await getSignedUrl(file, {
      version: "v4",
      action: "read",
      accessibleAt: now + 30 * MINUTE,
      expires: now + 40 * MINUTE,
    });
    const { dateMs, expiresSeconds } = signedTimes(url);
    expect(Math.abs(dateMs - (server.now() + 30 * MINUTE))).toBeLessThan(2_500);
    expect(expiresSeconds).toBe(600);
    // Not yet valid at the server: 30 minutes ahead is past its 15-minute allowance.
    expect((await fetch(url)).status).toBe(400);
  });

  it("with the probe off and nothing learned, signs on the local clock as the SDK does", async () => {
    const server = await gcsServer(20 * MINUTE);
    const storage = await storageFor(server, { wrap: { ...recorder().options, probe: false } });
    const file = storage.bucket("bkt").file("o");
    const [url] = await getSignedUrl(file, {
      version: "v4",
      action: "read",
      expires: Date.now() + TEN_MINUTES,
    });
    expect(server.counts.xml).toBe(0);
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>ExpiredToken</Code>");
  });
});
