import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { S3TestServer } from "@skewguard/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import { SECRET, s3Server } from "../s3/fixtures.js";
import { libfaketimeFor } from "../faketime.js";

/**
 * A client process whose clock is really off: run under libfaketime (`FAKETIME=-2d`), so the
 * AWS SDK, skewguard and Node itself all read a clock 2 days behind, against the testkit's S3
 * server on the true clock in this process. The same 32 calls bare and with skewguard; what
 * the bare SDK completes, skewguard completes too, in no more requests.
 *
 * libfaketime is a Debian package (`libfaketime`); scripts/test.sh installs it when missing and
 * sets SKEWGUARD_REQUIRE_FAKETIME. Without it this suite fails there and under CI, and skips
 * elsewhere, saying so.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const DAY = 86_400_000;

const libfaketime = libfaketimeFor("real-clock.test.ts");

/** The newest modification time under `dir`, tests excluded. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (!entry.name.endsWith(".test.ts")) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** The child imports the packages as published: built, and rebuilt when the sources moved on. */
function ensureBuilt(): void {
  const stale = ["diagnosis", "aws-s3"].filter((name) => {
    const built = join(root, "packages", name, "dist", "index.js");
    return (
      !existsSync(built) || statSync(built).mtimeMs < newest(join(root, "packages", name, "src"))
    );
  });
  if (stale.length === 0) return;
  const filters = stale.flatMap((name) => ["--filter", `@skewguard/${name}`]);
  const build = spawnSync("npx", ["-y", "pnpm@10", ...filters, "run", "build"], {
    cwd: root,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
}

interface Call {
  ok: boolean;
  error?: string;
}

interface SideResult {
  side: string;
  localNow: number;
  sequential: Call[];
  concurrent: Call[];
  events: string[];
  /** Requests the server counted for this side. */
  requests: number;
}

function runClient(server: S3TestServer, side: "bare" | "wrapped", faketime: string) {
  return new Promise<SideResult>((resolve, reject) => {
    const before = server.attempts;
    const child = spawn(
      process.execPath,
      [join(here, "real-clock", "client.mjs"), server.url, SECRET, side],
      {
        cwd: here,
        env: {
          ...process.env,
          LD_PRELOAD: libfaketime,
          FAKETIME: faketime,
          FAKETIME_DONT_FAKE_MONOTONIC: "1",
          NODE_NO_WARNINGS: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`client exited ${code}: ${stderr}`));
      const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as SideResult;
      resolve({ ...result, requests: server.attempts - before });
    });
  });
}

const completed = (calls: Call[]) => calls.filter((c) => c.ok).length;

describe.skipIf(!libfaketime)("a client process whose clock is really off (libfaketime)", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  for (const faketime of ["-2d", "+2d"]) {
    it(`FAKETIME=${faketime}: with skewguard, every call the bare SDK completes, in no more requests`, async () => {
      const server = await s3Server();
      server.objects.set("b/object", Buffer.from("the object"));
      const bare = await runClient(server, "bare", faketime);
      const wrapped = await runClient(server, "wrapped", faketime);

      // The clock libfaketime gave the client is really off by the days asked for.
      const days = Number(faketime.replace("d", ""));
      for (const side of [bare, wrapped]) {
        expect(Math.abs(side.localNow - (Date.now() + days * DAY))).toBeLessThan(60_000);
      }
      const calls = [...bare.sequential, ...bare.concurrent];
      const ours = [...wrapped.sequential, ...wrapped.concurrent];
      expect(ours).toHaveLength(32);
      for (const [i, call] of calls.entries()) {
        if (call.ok) expect(ours[i], `call ${i + 1}`).toMatchObject({ ok: true });
      }
      expect(completed(ours)).toBeGreaterThanOrEqual(completed(calls));
      // The bare SDK learns the offset from its first failure and retries on it: so does the
      // wrapped client, on the SDK's own clock, and skewguard takes the offset once the server
      // has accepted a request signed on it.
      expect(completed(ours)).toBe(32);
      expect(wrapped.requests).toBeLessThanOrEqual(bare.requests);
      expect(wrapped.events).toContain("skew.corrected");
    });
  }
});
