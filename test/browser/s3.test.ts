import {
  DEFAULT_CORS_EXPOSE_HEADERS,
  type S3TestServer,
  startS3TestServer,
} from "@skewguard/testkit";
import type { Browser, Page } from "playwright-core";
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
  const [launched, files] = await Promise.all([launchChromium(), bundlePage("./s3-page.mjs")]);
  browser = launched;
  page = await servePage(files);
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

async function openPage(tab: Page, server: PageServer): Promise<void> {
  await tab.goto(server.url);
  await tab.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
}

/** The page's `skewguardPutGet`: one object written and read back, with skewguard or `bare`. */
function putGetIn(tab: Page, args: { endpoint: string; key: string; bare?: boolean }) {
  return tab.evaluate(
    (a) =>
      (
        globalThis as unknown as { skewguardPutGet: (b: typeof a) => Promise<unknown> }
      ).skewguardPutGet(a),
    { bucket: BUCKET, ...args },
  );
}

describe("the failure path, a chunk of its own", () => {
  it("is not fetched by a page whose requests succeed, and is fetched once at the first refusal", async () => {
    const cors = { exposeHeaders: DEFAULT_CORS_EXPOSE_HEADERS };
    const agreeing = await startS3TestServer({ cors, idleTimeoutMs: 30_000 });
    const skewed = await startS3TestServer({
      clockOffsetMs: 20 * MINUTE,
      cors,
      idleTimeoutMs: 30_000,
    });
    const tab = await browser.newPage();
    const fetchedBefore = page.fetched.length;
    const failureChunks = () =>
      page.fetched.slice(fetchedBefore).filter((path) => path.startsWith("/failure-path"));
    try {
      await openPage(tab, page);
      const putGet = (endpoint: string, key: string) => putGetIn(tab, { endpoint, key });

      const calm = await putGet(agreeing.url, "calm.txt");
      expect(calm).toMatchObject({
        put: { ok: true },
        get: { ok: true, value: "calm.txt" },
        events: [],
      });
      expect(answers(agreeing)).toEqual(["PUT calm.txt 200", "GET calm.txt 200"]);
      expect(failureChunks()).toEqual([]);

      const healed = (await putGet(skewed.url, "healed.txt")) as { events: string[] };
      expect(healed).toMatchObject({ put: { ok: true }, get: { ok: true, value: "healed.txt" } });
      expect(healed.events).toContain("request.recovered");
      expect(answers(skewed)).toEqual([
        "PUT healed.txt 403",
        "PUT healed.txt 200",
        "GET healed.txt 200",
      ]);
      expect(failureChunks()).toHaveLength(1);
    } finally {
      await tab.close();
      await agreeing.close();
      await skewed.close();
    }
  });
});

describe("the failure path unreachable (a deployment removed its chunk)", () => {
  it("leaves the failure to the SDK, as without skewguard", async () => {
    const cors = { exposeHeaders: DEFAULT_CORS_EXPOSE_HEADERS };
    const skewed = await startS3TestServer({
      clockOffsetMs: 20 * MINUTE,
      cors,
      idleTimeoutMs: 30_000,
    });
    const broken = await servePage(await bundlePage("./s3-page.mjs"), (path) =>
      path.startsWith("/failure-path"),
    );
    const tab = await browser.newPage();
    try {
      await openPage(tab, broken);
      const putGet = (key: string, bare: boolean) =>
        putGetIn(tab, { endpoint: skewed.url, key, bare });
      const bare = await putGet("bare.txt", true);
      const bareAnswers = answers(skewed);
      skewed.log.length = 0;
      const outcome = (await putGet("sdk.txt", false)) as { events: string[] };
      // The SDK's own clock-skew retry heals the PUT, as it does bare; skewguard claims nothing.
      expect(bare).toMatchObject({ put: { ok: true }, get: { ok: true, value: "bare.txt" } });
      expect(bareAnswers).toEqual(["PUT bare.txt 403", "PUT bare.txt 200", "GET bare.txt 200"]);
      expect(outcome).toMatchObject({ put: { ok: true }, get: { ok: true, value: "sdk.txt" } });
      expect(outcome.events).not.toContain("request.recovered");
      expect(answers(skewed)).toEqual(["PUT sdk.txt 403", "PUT sdk.txt 200", "GET sdk.txt 200"]);
      expect(broken.fetched.filter((path) => path.startsWith("/failure-path"))).toHaveLength(1);
    } finally {
      await tab.close();
      await broken.close();
      await skewed.close();
    }
  });
});
