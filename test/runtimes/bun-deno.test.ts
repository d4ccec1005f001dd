import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startS3TestServer } from "@skewguard/testkit";
import { describe, expect, it } from "vitest";

/**
 * skewguard on Bun and Deno, each from its npm package (`npx` fetches it, binary inside), running
 * a script that imports the built packages as a user installs them (scripts/test.sh builds them
 * first), against a testkit S3 server whose clock is 20 minutes ahead.
 */

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./smoke.mjs", import.meta.url));
const MINUTE = 60_000;

const RUNTIMES = [
  { name: "Bun", command: ["-y", "bun@1.4.4", "run", SCRIPT] },
  // Deno reads the packages from node_modules (a package.json is beside the script's folder).
  { name: "Deno", command: ["-y", "deno@2.9.6", "run", "--allow-all", SCRIPT] },
];

describe("on other runtimes", () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime.name}: the plugin heals a skewed PutObject, the presigner signs on the server's clock`, async () => {
      const server = await startS3TestServer({
        clockOffsetMs: 20 * MINUTE,
        idleTimeoutMs: 120_000,
      });
      try {
        const { stdout } = await run("npx", runtime.command, {
          cwd: fileURLToPath(new URL(".", import.meta.url)),
          env: { ...process.env, SKEWGUARD_SMOKE_ENDPOINT: server.url, NO_COLOR: "1" },
          timeout: 170_000,
        });
        const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
        expect(result).toEqual({
          put: 200,
          presigned: 200,
          body: "hello from a runtime",
          events: expect.arrayContaining([
            "skew.detected",
            "request.resigned",
            "request.recovered",
          ]),
        });
        // Refused once on the runtime's clock, accepted on the learned one; the URL first time.
        expect(server.log.map((e) => `${e.method} ${e.status}`)).toEqual([
          "PUT 403",
          "PUT 200",
          "GET 200",
        ]);
        expect(server.log[0]?.code).toBe("RequestTimeTooSkewed");
        expect(server.objects.get("smoke/runtime.txt")?.toString()).toBe("hello from a runtime");
      } finally {
        await server.close();
      }
    }, 180_000);
  }
});
