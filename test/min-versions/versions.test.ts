import { readdirSync, readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

/**
 * The minimum-versions leg runs what it claims: each peer range a package declares is installed
 * here at its lowest version, and the suites' imports of it reach that copy.
 */

const root = new URL("../../", import.meta.url);
const json = (url: URL) => JSON.parse(readFileSync(url, "utf8"));

/** Every peer range of the published packages: name -> ranges. */
function declaredPeers(): Map<string, string[]> {
  const peers = new Map<string, string[]>();
  for (const dir of readdirSync(new URL("packages/", root))) {
    const manifest = json(new URL(`packages/${dir}/package.json`, root));
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {}))
      peers.set(name, [...(peers.get(name) ?? []), range as string]);
  }
  return peers;
}

describe("the minimum-versions leg", () => {
  const peers = [...declaredPeers()];

  it("covers the peers the packages declare", () => {
    expect(peers.map(([name]) => name).sort()).toEqual([
      "@aws-sdk/client-s3",
      "@azure/storage-blob",
      "@google-cloud/storage",
      "@opentelemetry/api",
    ]);
  });

  it.each(peers)("installs %s at the lowest version of its range", async (name, ranges) => {
    const lowest = ranges.map((range) => semver.minVersion(range)?.version);
    expect(new Set(lowest).size).toBe(1); // every package declares the same low end
    const installed = json(new URL(`node_modules/${name}/package.json`, import.meta.url));
    expect(installed.version).toBe(lowest[0]);
    // What the suites import under that name is this copy (vitest.min.config.ts).
    const viaImport = (await import(`${name}/package.json`)) as { default: { version: string } };
    expect(viaImport.default.version).toBe(lowest[0]);
  });
});
