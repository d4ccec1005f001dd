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

/**
 * Bundles a page script as a user's bundler would for a browser (the `browser` conditions of
 * the SDK and of skewguard's packages), from skewguard's sources, like the rest of the suite.
 */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
    alias: {
      "@skewguard/diagnosis/adapter": src("diagnosis", "adapter"),
      "@skewguard/diagnosis": src("diagnosis"),
      "@skewguard/aws/adapter": src("aws", "adapter"),
      "@skewguard/aws": src("aws"),
      "@skewguard/aws-s3": src("aws-s3"),
    },
    plugins: [browserTwins],
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves one page and its script from an origin of its own (another port than the S3 server's). */
export async function servePage(script: string): Promise<PageServer> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>skewguard</title></head><body><script type="module" src="/page.js"></script></body></html>`;
  const server: Server = createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "Content-Type": "text/javascript" });
      res.end(script);
    } else if (req.url === "/favicon.ico") {
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
