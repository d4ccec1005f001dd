import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { browserTwins } from "../../scripts/browser-twins.mjs";

/**
 * Debian's Chromium, driven by playwright-core: installed by scripts/ensure-chromium.sh (which
 * scripts/test.sh runs), never downloaded by a test tool. Missing, the test fails and says so.
 */
export const CHROMIUM_PATH = process.env["SKEWGUARD_CHROMIUM"] ?? "/usr/bin/chromium";

export function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM_PATH, ["--version"], { encoding: "utf8" }).trim();
  } catch (cause) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run scripts/ensure-chromium.sh (apt-get install chromium)`,
      { cause },
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  chromiumVersion();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // As root on a machine whose only network is loopback: no sandbox, no background traffic.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const src = (pkg: string, entry = "index") =>
  fileURLToPath(new URL(`../../packages/${pkg}/src/${entry}.ts`, import.meta.url));

/** A built page: its files by name (`page.js` is the entry), as a server sends them. */
export type PageFiles = ReadonlyMap<string, string>;

/**
 * Bundles a page script as a user's bundler would for a browser (the `browser` conditions of
 * the SDK and of skewguard's packages), from skewguard's sources, like the rest of the suite,
 * split into chunks where the code loads one with `import()` (skewguard's failure path).
 */
export async function bundlePage(entry: string): Promise<PageFiles> {
  const result = await build({
    entryPoints: { page: fileURLToPath(new URL(entry, import.meta.url)) },
    bundle: true,
    splitting: true,
    outdir: "/page",
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
    alias: {
      "@skewguard/diagnosis/adapter": src("diagnosis", "adapter"),
      "@skewguard/diagnosis/engine": src("diagnosis", "engine"),
      "@skewguard/diagnosis": src("diagnosis"),
      "@skewguard/aws/adapter": src("aws", "adapter"),
      "@skewguard/aws": src("aws"),
      "@skewguard/aws-s3": src("aws-s3"),
    },
    plugins: [browserTwins],
  });
  const files = new Map(
    result.outputFiles.map((file) => [file.path.slice("/page/".length), file.text]),
  );
  if (!files.has("page.js")) throw new Error(`esbuild produced no page.js for ${entry}`);
  return files;
}

export interface PageServer {
  url: string;
  /** The scripts the browser asked for, in order (`/page.js`, then chunks as they load). */
  fetched: string[];
  close(): Promise<void>;
}

/**
 * Serves one page and its scripts from an origin of its own (another port than the S3 server's).
 * `missing` scripts are answered 404, as after a deployment that removed them.
 */
export async function servePage(
  files: PageFiles,
  missing: (path: string) => boolean = () => false,
): Promise<PageServer> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>skewguard</title></head><body><script type="module" src="/page.js"></script></body></html>`;
  const fetched: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    const script = files.get(path.slice(1));
    if (script !== undefined && missing(path)) {
      fetched.push(path);
      res.writeHead(404).end();
    } else if (script !== undefined) {
      fetched.push(path);
      res.writeHead(200, { "Content-Type": "text/javascript", "Cache-Control": "no-store" });
      res.end(script);
    } else if (path === "/favicon.ico") {
      res.writeHead(204).end();
    } else {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(html);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    fetched,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
