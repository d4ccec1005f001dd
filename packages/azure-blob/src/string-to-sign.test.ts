import {
  type PipelinePolicy,
  type PipelineRequest,
  createHttpHeaders,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { compareHeaderNames } from "./header-collation.js";
import { clockAwareSharedKeyPolicy, signedFacts, stampSigningTime } from "./signing-policy.js";
import { sharedKeyStringToSign } from "./string-to-sign.js";

const ACCOUNT = "skewguardacct";
const KEY = Buffer.from("a test key for comparing two signers").toString("base64");
const NOW = Date.parse("2026-11-23T10:00:00.123Z");

/** The installed SDK's own SharedKey policy, taken from a client's pipeline. */
function sdkPolicy(): PipelinePolicy {
  const client = new BlobServiceClient(
    `https://${ACCOUNT}.blob.core.windows.net`,
    new StorageSharedKeyCredential(ACCOUNT, KEY),
  );
  const pipeline = (
    client as unknown as {
      storageClientContext: { pipeline: { getOrderedPolicies(): PipelinePolicy[] } };
    }
  ).storageClientContext.pipeline;
  const policy = pipeline
    .getOrderedPolicies()
    .find((p) => p.name === "storageSharedKeyCredentialPolicy");
  if (!policy) throw new Error("the SDK's SharedKey policy is not in the pipeline");
  return policy;
}

interface RequestSpec {
  method: string;
  path: string;
  query: string;
  headers: Array<[string, string]>;
  body: "none" | "string" | "buffer" | "empty";
}

function build(spec: RequestSpec): PipelineRequest {
  const headers = createHttpHeaders();
  for (const [name, value] of spec.headers) headers.set(name, value);
  const body =
    spec.body === "string"
      ? "héllo wörld"
      : spec.body === "buffer"
        ? Buffer.from([1, 2, 3, 4])
        : spec.body === "empty"
          ? ""
          : undefined;
  return createPipelineRequest({
    url: `https://${ACCOUNT}.blob.core.windows.net${spec.path}${spec.query}`,
    method: spec.method as PipelineRequest["method"],
    headers,
    ...(body !== undefined ? { body } : {}),
  });
}

const segment = fc
  .stringMatching(/^[A-Za-z0-9\-_.~'%é ]{1,10}$/)
  .map((s) => s.replace(/%/g, "%25"));
const queryPair = fc.tuple(
  fc.constantFrom("comp", "Comp", "restype", "blockid", "prefix", "a", "A", "1", "10", "x-y", "_z"),
  fc.stringMatching(/^[A-Za-z0-9%=/+ ]{0,8}$/).map((v) => v.replace(/%(?![0-9A-F]{2})/g, "%25")),
  fc.boolean(),
);
const msHeaderName = fc
  .stringMatching(/^[a-zA-Z0-9\-_.']{1,12}$/)
  .map((suffix) => `x-ms-${suffix}`);
const standardHeader = fc.tuple(
  fc.constantFrom(
    "Content-Language",
    "Content-Encoding",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Unmodified-Since",
    "Range",
    "x-ms-version",
    "x-ms-client-request-id",
  ),
  fc.constantFrom("0", "12", "text/plain", '"etag"', "bytes=0-9", "  spaced  value", "gzip"),
);
const specs = fc.record({
  method: fc.constantFrom("GET", "PUT", "HEAD", "DELETE", "POST", "get"),
  path: fc.array(segment, { maxLength: 3 }).map((parts) => `/${parts.join("/")}`),
  query: fc
    .array(queryPair, { maxLength: 5 })
    .map((pairs) =>
      pairs.length === 0 ? "" : `?${pairs.map(([n, v, eq]) => (eq ? `${n}=${v}` : n)).join("&")}`,
    ),
  headers: fc.array(
    fc.oneof(standardHeader, fc.tuple(msHeaderName, fc.stringMatching(/^ {0,2}[ -~]{0,10}$/))),
    { maxLength: 8 },
  ),
  body: fc.constantFrom("none", "string", "buffer", "empty"),
}) as fc.Arbitrary<RequestSpec>;

const signer = {
  accountName: ACCOUNT,
  computeHMACSHA256: (text: string) =>
    new StorageSharedKeyCredential(ACCOUNT, KEY).computeHMACSHA256(text),
};

/** Runs the clock-aware policy on `request`, as the Sign phase does. */
async function signWith(
  request: PipelineRequest,
  options: { now: number; offsetMs?: (host: string) => number },
): Promise<PipelineRequest> {
  const policy = clockAwareSharedKeyPolicy({
    signer,
    clock: { now: () => options.now },
    offsetMs: options.offsetMs ?? (() => 0),
  });
  await policy.sendRequest(request, async (r) => ({
    request: r,
    status: 200,
    headers: createHttpHeaders(),
  }));
  return request;
}

async function outcome(run: () => Promise<PipelineRequest> | PipelineRequest) {
  try {
    const request = await run();
    return {
      authorization: request.headers.get("authorization"),
      date: request.headers.get("x-ms-date"),
      length: request.headers.get("content-length"),
    };
  } catch (error) {
    return { threw: (error as Error).name };
  }
}

describe("the clock-aware signer at offset zero", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("signs 2,000 generated requests byte for byte as the installed SDK does", async () => {
    const policy = sdkPolicy();
    await fc.assert(
      fc.asyncProperty(specs, async (spec) => {
        const theirs = await outcome(async () => {
          const request = build(spec);
          await policy.sendRequest(request, async (r) => ({
            request: r,
            status: 200,
            headers: createHttpHeaders(),
          }));
          return request;
        });
        const ours = await outcome(() => signWith(build(spec), { now: NOW }));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 2_000, seed: 20261123 },
    );
  });

  it("an unstamped request is signed at local time plus the endpoint's learned offset", async () => {
    const request = build({
      method: "PUT",
      path: "/c/b",
      query: "",
      headers: [["x-ms-version", "2025-01-05"]],
      body: "string",
    });
    await signWith(request, {
      now: NOW,
      offsetMs: (host) => (host === `${ACCOUNT}.blob.core.windows.net` ? 20 * 60_000 : 0),
    });
    expect(request.headers.get("x-ms-date")).toBe("Mon, 23 Nov 2026 10:20:00 GMT");
    const facts = signedFacts(request, ACCOUNT);
    expect(facts).toMatchObject({
      algorithm: "SharedKey",
      accessKeyId: ACCOUNT,
      signedAtMs: Date.parse("2026-11-23T10:20:00Z"),
    });
    expect(facts.stringToSign).toBe(sharedKeyStringToSign(request, ACCOUNT));
    expect(facts.stringToSign).toContain("x-ms-date:Mon, 23 Nov 2026 10:20:00 GMT\n");
    expect(JSON.stringify(facts)).not.toContain(KEY);
    expect(request.headers.get("authorization")).toBe(
      `SharedKey ${ACCOUNT}:${signer.computeHMACSHA256(facts.stringToSign ?? "")}`,
    );
  });

  it("a request stamped for its attempt is signed at that time, whatever the store says", async () => {
    const request = build({ method: "GET", path: "/c/b", query: "", headers: [], body: "none" });
    stampSigningTime(request, NOW - 5 * 60_000);
    await signWith(request, { now: NOW, offsetMs: () => 20 * 60_000 });
    expect(request.headers.get("x-ms-date")).toBe("Mon, 23 Nov 2026 09:55:00 GMT");
    expect(signedFacts(request, ACCOUNT).stringToSign).toContain(
      "x-ms-date:Mon, 23 Nov 2026 09:55:00 GMT\n",
    );
  });
});

describe("header collation", () => {
  it("orders hyphens as the service does, not by code unit", () => {
    const names = [
      "x-ms-meta-ab",
      "x-ms-meta-a-b",
      "x-ms-meta-a",
      "x-ms-meta-a_b",
      "x-ms-date",
      "x-ms-blob-type",
    ];
    expect([...names].sort(compareHeaderNames)).toEqual([
      "x-ms-blob-type",
      "x-ms-date",
      "x-ms-meta-a",
      "x-ms-meta-a_b",
      "x-ms-meta-ab",
      "x-ms-meta-a-b",
    ]);
    // A code-unit sort puts "x-ms-meta-a-b" before "x-ms-meta-a_b" and "x-ms-meta-ab".
    expect([...names].sort()).not.toEqual([...names].sort(compareHeaderNames));
  });
});
