import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Storage } from "@google-cloud/storage";
import { type Logger, OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { diagnosisOf, withSkewRecovery } from "@skewguard/gcs";
import {
  type GcsTestServer,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { fragmentsOf } from "./fragments.js";

/**
 * A GCS front end that echoes credentials back in its errors, as a misconfigured proxy or a
 * debugging gateway might: the token endpoint quotes the JWT assertion it was sent, a line of the
 * private key and an access token; the JSON API quotes the bearer token without its `Bearer`
 * label. Each secret is placed around the 300-character cut the diagnosis makes of a message.
 * Nothing of them may reach `diagnosisOf(error)`, an event or a log line.
 */

const account = testServiceAccount();
/** A line from the middle of the private key: what a body quoting the key file would show. */
const KEY_LINE = account.private_key.split("\n").filter((l) => l && !l.startsWith("-----"))[5]!;
const OTHER_TOKEN = `ya29.a0AfB_byC${"x1Y-z_Q9".repeat(12)}`;

/** What the token endpoint quotes; the API always quotes the bearer token it was sent. */
type Echo = "assertion" | "key-line" | "other-token" | "bearer";
const MESSAGE_CUT = 300;

interface Front {
  url: string;
  echo: Echo;
  /** Where the echoed secret starts, relative to the message cut. */
  shift: number;
  /** What was echoed, to look for afterwards. */
  echoed: string[];
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `secret` starting `shift` characters after the message cut (negative: before it). */
function around(secret: string, shift: number): string {
  // No label before the secret: a labelled one (`assertion=`) is caught by its label.
  const prefix = "Invalid JWT Signature for ";
  return `${prefix}${"·".repeat(Math.max(0, MESSAGE_CUT + shift - prefix.length))}${secret} (echoed)`;
}

async function hostileFront(fake: GcsTestServer, echo: Echo, shift: number): Promise<Front> {
  const front: Front = { url: "", echo, shift, echoed: [] };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const date = new Date().toUTCString();
      if (req.url === "/token" && echo !== "bearer") {
        const assertion = new URLSearchParams(body).get("assertion") ?? "";
        const secret =
          echo === "assertion" ? assertion : echo === "key-line" ? KEY_LINE : OTHER_TOKEN;
        // The JWT's signature segment on its own is a secret too.
        front.echoed.push(secret, ...(echo === "assertion" ? [assertion.split(".")[2] ?? ""] : []));
        res.writeHead(400, { "content-type": "application/json", date });
        res.end(
          JSON.stringify({ error: "invalid_grant", error_description: around(secret, shift) }),
        );
        return;
      }
      const bearer = req.headers.authorization?.replace(/^Bearer /, "");
      if (req.url?.startsWith("/storage/v1/") && echo === "bearer" && bearer) {
        front.echoed.push(bearer);
        const message = around(bearer, shift);
        res.writeHead(401, { "content-type": "application/json", date });
        res.end(
          JSON.stringify({
            error: { code: 401, message, errors: [{ message, reason: "authError" }] },
          }),
        );
        return;
      }
      const upstream = request(
        new URL(req.url ?? "/", fake.url),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  );
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}

async function wrappedStorage(front: Front, events: SkewguardEvent[], lines: string[]) {
  const line = (obj: object, msg?: string) => lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  const logger: Logger = { warn: line, info: line, debug: line, error: line };
  const storage = withSkewRecovery(
    new Storage({
      apiEndpoint: front.url,
      useAuthWithCustomEndpoint: true,
      projectId: "test-project",
      credentials: { client_email: account.client_email, private_key: account.private_key },
      retryOptions: { autoRetry: false },
    }),
    { onEvent: (e) => events.push(e), logger, offsets: new OffsetStore() },
  );
  const client = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(client, `${front.url}/token`);
  return storage;
}

describe("GCS errors that echo credentials", () => {
  // Secrets ending just past the cut, cut in their middle, and starting just before it.
  const SHIFTS = [-120, -40, -12, -1, 0, 7];

  it.each(["assertion", "key-line", "other-token"] as const)(
    "a token endpoint quoting the %s: diagnosisOf(error), events and log lines hold no fragment of it",
    async (echo) => {
      const fake = await startGcsTestServer({ idleTimeoutMs: 20_000 });
      closers.push(() => fake.close());
      for (const shift of SHIFTS) {
        const front = await hostileFront(fake, echo, shift);
        const events: SkewguardEvent[] = [];
        const lines: string[] = [];
        const storage = await wrappedStorage(front, events, lines);
        const error = await storage
          .bucket("bkt")
          .getFiles()
          .then(() => undefined)
          .catch((e: unknown) => e);
        const diagnosis = diagnosisOf(error);
        expect(diagnosis?.cause, `shift ${shift}`).toBe("secret-key-mismatch");
        const out = [JSON.stringify(diagnosis), JSON.stringify(events), ...lines].join("\n");
        for (const secret of front.echoed) {
          expect(fragmentsOf(secret, out), `shift ${shift}`).toEqual([]);
        }
        // A secret that starts well before the cut shows as the marker; one that starts at or
        // after it is not shown at all (nor a marker cut in half).
        if (shift <= -12) expect(out, `shift ${shift}`).toContain("[REDACTED]");
      }
    },
  );

  it("an API quoting the bearer token without its label: no fragment of it anywhere", async () => {
    const fake = await startGcsTestServer({ idleTimeoutMs: 20_000 });
    closers.push(() => fake.close());
    for (const shift of SHIFTS) {
      const front = await hostileFront(fake, "bearer", shift);
      const events: SkewguardEvent[] = [];
      const lines: string[] = [];
      const storage = await wrappedStorage(front, events, lines);
      const error = await storage
        .bucket("bkt")
        .getFiles()
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(front.echoed.length).toBeGreaterThan(0);
      const out = [JSON.stringify(diagnosisOf(error)), JSON.stringify(events), ...lines].join("\n");
      for (const secret of front.echoed) {
        expect(fragmentsOf(secret, out), `shift ${shift}`).toEqual([]);
      }
    }
  });
});
