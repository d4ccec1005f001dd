import { describe, expect, it } from "vitest";
import { parseSignedUrl } from "./signed-url.js";
import { judgeSignedUrl } from "./url-verdict.js";

const MIN = 60_000;
const SIGNED_AT = Date.parse("2026-11-23T10:00:00Z");

/** A SigV4 URL signed at 10:00:00 for 15 minutes. */
const S3 = parseSignedUrl(
  "https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261123T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef",
);
/** A SAS valid from 10:00 to 10:20, with no allowance either side. */
const SAS = parseSignedUrl(
  "https://acct.blob.core.windows.net/c/b?sv=2024-08-04&sr=b&sp=r&st=2026-11-23T10%3A00%3A00Z&se=2026-11-23T10%3A20%3A00Z&sig=c2lnbmF0dXJlc2ln",
);

describe("judgeSignedUrl", () => {
  it("valid by both clocks: healthy, with the time left by the server's", () => {
    const j = judgeSignedUrl(S3, { localNowMs: SIGNED_AT + 5 * MIN, offsetMs: 0 });
    expect(j).toMatchObject({
      verdict: "valid",
      healthy: true,
      fixes: [],
      deadEnds: [],
      notes: [],
    });
    expect(j.summary).toBe("Valid by the server's clock, for 10m 0s more.");
    expect(j.server).toMatchObject({ state: "valid", remainingMs: 10 * MIN });
  });

  it("expired only by the server's clock (this one 20 min behind): the clock is the cause", () => {
    const j = judgeSignedUrl(S3, { localNowMs: SIGNED_AT + MIN, offsetMs: 20 * MIN });
    expect(j.verdict).toBe("expired-by-server-clock");
    expect(j.healthy).toBe(false);
    expect(j.local).toMatchObject({ state: "valid", remainingMs: 14 * MIN });
    expect(j.server).toMatchObject({ state: "expired", remainingMs: -6 * MIN });
    expect(j.summary).toBe(
      "Expired only by the server's clock (this clock is 20m 0s behind the server's): by the server's clock it expired 6m 0s ago, while this machine's clock gives it 14m 0s more.",
    );
    expect(j.fixes[0]).toContain("timedatectl");
    expect(j.notes).toEqual([
      "This machine's clock is 20m 0s behind the server's: URLs signed here live 20m 0s less than asked.",
    ]);
  });

  it("a SigV4 signing time within 15 minutes of the server's future is accepted; beyond, not yet valid", () => {
    const within = judgeSignedUrl(S3, { localNowMs: SIGNED_AT, offsetMs: -10 * MIN });
    expect(within.verdict).toBe("valid");
    expect(within.notes).toContain(
      "It was signed 10m 0s in the server's future: the clock that signed it is ahead.",
    );
    const beyond = judgeSignedUrl(S3, { localNowMs: SIGNED_AT, offsetMs: -20 * MIN });
    expect(beyond.verdict).toBe("not-yet-valid-by-server-clock");
    expect(beyond.server?.validInMs).toBe(5 * MIN);
    expect(beyond.deadEnds).toEqual(["Re-signing with the same skewed clock"]);
  });

  it("a SAS st holds exactly: 450 ms early is not valid yet", () => {
    const j = judgeSignedUrl(SAS, { localNowMs: SIGNED_AT - 450 });
    expect(j.verdict).toBe("not-yet-valid");
    expect(j.summary).toBe(
      "Not valid yet by this machine's clock (the server's was not measured): it becomes valid in 450ms.",
    );
    expect(j.notes).toEqual([
      "The server's clock was not measured: the verdict uses this machine's clock.",
    ]);
  });

  it("valid by the server's clock though expired by this one (this clock ahead)", () => {
    const j = judgeSignedUrl(SAS, { localNowMs: SIGNED_AT + 25 * MIN, offsetMs: -10 * MIN });
    expect(j.verdict).toBe("valid-by-server-clock");
    expect(j.healthy).toBe(true);
    expect(j.summary).toBe(
      "Valid by the server's clock, for 5m 0s more, though this machine's clock (this clock is 10m 0s ahead of the server's) says it is expired.",
    );
  });

  it("expired by both clocks says how long ago, without blaming the clock", () => {
    const j = judgeSignedUrl(SAS, { localNowMs: SIGNED_AT + 2 * 3_600_000, offsetMs: 300 });
    expect(j.verdict).toBe("expired");
    expect(j.summary).toBe("Expired 1h 40m 0.3s ago by the server's clock.");
    expect(j.fixes.some((f) => f.includes("timedatectl"))).toBe(false);
    expect(j.notes).toEqual([]);
  });

  it("a malformed URL is malformed whatever the clocks say", () => {
    const bad = parseSignedUrl(
      "https://acct.blob.core.windows.net/c/b?sv=2024-08-04&st=2026-11-23T11%3A00%3A00Z&se=2026-11-23T10%3A00%3A00Z&sig=abcdefghijkl",
    );
    const j = judgeSignedUrl(bad, { localNowMs: SIGNED_AT, offsetMs: 0 });
    expect(j.verdict).toBe("malformed");
    expect(j.summary).toBe("The URL is malformed: st (start) is not before se (expiry).");
  });

  it("takes the note threshold as an option", () => {
    const j = judgeSignedUrl(S3, {
      localNowMs: SIGNED_AT,
      offsetMs: 30_000,
      possibleSkewThresholdMs: 10_000,
    });
    expect(j.notes).toEqual([
      "This machine's clock is 30s behind the server's: URLs signed here live 30s less than asked.",
    ]);
  });
});
