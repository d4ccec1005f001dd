import { describe, expect, it } from "vitest";
import {
  ACCESS_KEY_ID,
  PLANTED_SECRETS,
  runProductionLogging,
} from "../../examples/production-logging/main.mjs";

async function run() {
  const logged: string[] = [];
  const printed: string[] = [];
  await runProductionLogging({
    destination: { write: (chunk) => logged.push(chunk) },
    print: (line) => printed.push(line),
  });
  const lines = logged.join("").split("\n").filter(Boolean);
  return { lines, printed };
}

describe("examples/production-logging", () => {
  it("writes skewguard's events as pino JSON lines, every event type present", async () => {
    const { lines } = await run();
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBe(lines.length);
    const events = records.flatMap((r) =>
      r.component === "skewguard" ? [r.skewguard as { type: string; provider: string }] : [],
    );
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        "skew.detected",
        "skew.corrected",
        "request.resigned",
        "request.recovered",
        "recovery.skipped",
        "signature.diagnosed",
      ]),
    );
    expect(new Set(events.map((e) => e.provider))).toEqual(new Set(["s3", "azure"]));
    // pino levels: what needs a person warns (40), routine healing informs (30).
    const level = (type: string) =>
      records.find((r) => (r.skewguard as { type?: string } | undefined)?.type === type)?.level;
    expect(level("recovery.skipped")).toBe(40);
    expect(level("request.recovered")).toBe(30);
  });

  it("lets no planted secret out, and applies the app's pino redact policy on top", async () => {
    const { lines, printed } = await run();
    const everything = [...lines, ...printed].join("\n");
    expect(PLANTED_SECRETS.length).toBeGreaterThan(0);
    for (const secret of PLANTED_SECRETS) expect(everything).not.toContain(secret);
    // skewguard's redactor left visible marks where the secrets were...
    expect(everything).toContain("Authorization: [REDACTED]");
    expect(everything).toContain("sig=[REDACTED]");
    // ...and pino's own paths masked the access key id and the app's Authorization header.
    const log = lines.join("\n");
    expect(log).not.toContain(ACCESS_KEY_ID);
    expect(log).toContain(`"value":"${ACCESS_KEY_ID.slice(0, 4)}****"`);
    expect(log).toContain(`"authorization":"[app-redacted]"`);
  });

  it("shows the same events as span events and the metrics in OpenTelemetry", async () => {
    const { printed } = await run();
    const text = printed.join("\n");
    expect(text).toContain('span "PUT /reports/q4.csv"');
    expect(text).toMatch(/event request\.recovered .*skewguard\.attempts=2/);
    expect(text).toMatch(/event recovery\.skipped .*skewguard\.reason="body-not-replayable"/);
    expect(text).toMatch(/event signature\.diagnosed .*skewguard\.cause="secret-key-mismatch"/);
    expect(text).toMatch(
      /metric skewguard\.corrections\{skewguard\.provider="s3",[^}]*"offset"\} 1/,
    );
    expect(text).toMatch(/metric skewguard\.recoveries\{skewguard\.provider="s3",[^}]*\} 1/);
    expect(text).toMatch(/metric skewguard\.recoveries\.skipped\{[^}]*"not-clock"\} 1/);
    expect(text).toMatch(
      /metric skewguard\.clock\.offset\{[^}]*"azure"[^}]*\} count=1 sum=1200001ms/,
    );
  });
});
