import {
  DEFAULT_CORS_EXPOSE_HEADERS,
  type S3TestServer,
  startS3TestServer,
} from "@skewguard/testkit";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlePage, launchChromium, type PageServer, servePage } from "./chromium.js";

/**
 * A page built with the AWS SDK's S3 client and skewguard's plugin, in headless Chromium,
 * against a testkit S3 server on another origin whose clock is off. The page's own clock is the
 * machine's: the server is the one that is off, which is the same skew seen from the page.
 * With `Date` exposed to the page by CORS, and hidden (then the only evidence is the error
 * body's `ServerTime`).
 */

const MINUTE = 60_000;
const BUCKET = "pages";

interface PageOutcome<T> {
  ok: boolean;
  value?: T;
  name?: string;
  message?: string;
}

interface Fetched {
  status: number;
  bytes: number;
  date: string | null;
}

interface TrialResult {
  upload: PageOutcome<string>;
  putImage: PageOutcome<string>;
  get: PageOutcome<string>;
  img: { loaded: boolean; width: number };
  fetched: Fetched;
  bareImg: { loaded: boolean; width: number };
  bareFetched: Fetched;
  events: Array<{ type: string; operation?: string; attempts?: number; offsetMs?: number }>;
}

let browser: Browser;
let page: PageServer;

beforeAll(async () => {
  const [launched, script] = await Promise.all([launchChromium(), bundlePage("./s3-page.mjs")]);
  browser = launched;
  page = await servePage(script);
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

async function trial(server: S3TestServer): Promise<TrialResult> {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on("pageerror", (error) => errors.push(String(error)));
  try {
    await tab.goto(page.url);
    await tab.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
    const result = await tab.evaluate(
      (args) =>
        (
          globalThis as unknown as {
            skewguardTrial: (a: typeof args) => Promise<unknown>;
          }
        ).skewguardTrial(args),
      { endpoint: server.url, bucket: BUCKET },
    );
    expect(errors).toEqual([]);
    return result as TrialResult;
  } finally {
    await tab.close();
  }
}

/** What the server answered, in order: method, key, status. */
function answers(server: S3TestServer): string[] {
  return server.log.map((entry) => `${entry.method} ${entry.key ?? ""} ${entry.status}`);
}

const SKEWS = [
  { label: "-20 min", offsetMs: -20 * MINUTE },
  { label: "+20 min", offsetMs: 20 * MINUTE },
  { label: "+2 h", offsetMs: 120 * MINUTE },
];

const EXPOSURES = [
  { label: "Date exposed", exposeHeaders: DEFAULT_CORS_EXPOSE_HEADERS },
  {
    label: "Date hidden",
    exposeHeaders: DEFAULT_CORS_EXPOSE_HEADERS.filter((name) => name !== "Date"),
  },
];

describe("S3 in a browser page, server clock off", () => {
  for (const exposure of EXPOSURES) {
    for (const skew of SKEWS) {
      it(`${skew.label}, ${exposure.label}: uploads, downloads and presigned URLs work`, async () => {
        const server = await startS3TestServer({
          clockOffsetMs: skew.offsetMs,
          cors: { exposeHeaders: exposure.exposeHeaders },
          idleTimeoutMs: 30_000,
        });
        try {
          const result = await trial(server);

          // The page reads `Date` only where CORS exposes it.
          const dateExposed = exposure.exposeHeaders.includes("Date");
          expect(result.fetched.date !== null).toBe(dateExposed);

          expect(result.upload).toMatchObject({ ok: true });
          expect(result.putImage).toMatchObject({ ok: true });
          expect(result.get).toEqual({ ok: true, value: "hello from the page" });
          expect(server.objects.get(`${BUCKET}/page/file.txt`)?.toString()).toBe(
            "hello from the page",
          );
          expect(server.objects.get(`${BUCKET}/page/pixel.png`)?.length).toBe(70);
          expect(result.img).toEqual({ loaded: true, width: 1 });
          expect(result.fetched).toMatchObject({ status: 200, bytes: 70 });
          // The SDK's own presigner signs on the page's clock: refused, as a user would see it.
          expect(result.bareImg.loaded).toBe(false);
          expect(result.bareFetched.status).toBe(403);

          // One refusal, healed by one resend; everything after it signed right the first time.
          expect(answers(server)).toEqual([
            "PUT page/file.txt 403",
            "PUT page/file.txt 200",
            "PUT page/pixel.png 200",
            "GET page/file.txt 200",
            "GET page/pixel.png 200",
            "GET page/pixel.png 200",
            "GET page/pixel.png 403",
            "GET page/pixel.png 403",
          ]);
          expect(server.log[0]?.code).toBe("RequestTimeTooSkewed");

          const types = result.events.map((event) => event.type);
          expect(types).toEqual(
            expect.arrayContaining(["skew.detected", "request.resigned", "request.recovered"]),
          );
          const recovered = result.events.find((event) => event.type === "request.recovered");
          expect(recovered).toMatchObject({ operation: "PutObject", attempts: 2 });
          // Learned to within the evidence's whole-second resolution and the round trip.
          expect(Math.abs((recovered?.offsetMs ?? 0) - skew.offsetMs)).toBeLessThan(2_000);
        } finally {
          await server.close();
        }
      });
    }
  }
});
