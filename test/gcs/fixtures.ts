import { Storage } from "@google-cloud/storage";
import { type Logger, OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import { type GcsSkewOptions, withSkewRecovery } from "@skewguard/gcs";
import {
  type GcsTestServer,
  type GcsTestServerOptions,
  redirectGoogleStorageRequests,
  redirectGoogleTokenRequests,
  startGcsTestServer,
  testServiceAccount,
} from "@skewguard/testkit";
import { afterEach, expect } from "vitest";

export const MINUTE = 60_000;

/**
 * The `@google-cloud/storage` of this run: the newest in the whole suite, the lowest of the peer
 * range in the minimum-versions leg (vitest.min.config.ts).
 */
export const STORAGE_VERSION: string = (
  new Storage() as unknown as { packageJson: { version: string } }
).packageJson.version;

/**
 * What the library does itself, where that differs between the versions the legs run, as
 * measured on each. Another version throws: measure it before claiming anything of it.
 */
export function measuredOnStorage<T>(byVersion: Record<string, T>): T {
  if (!Object.hasOwn(byVersion, STORAGE_VERSION))
    throw new Error(`@google-cloud/storage ${STORAGE_VERSION}: not measured here`);
  return byVersion[STORAGE_VERSION] as T;
}

/** The skews the suite runs at: server minus client. */
export const SKEWS = [
  ["+20 min", 20 * MINUTE],
  ["-20 min", -20 * MINUTE],
  ["+70 min", 70 * MINUTE],
  ["+2 h", 120 * MINUTE],
] as const;

const servers: GcsTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A GCS fake on 127.0.0.1:0 with its clock `clockOffsetMs` off the real one; closed after the test. */
export async function gcsServer(
  clockOffsetMs: number,
  options: GcsTestServerOptions = {},
): Promise<GcsTestServer> {
  const server = await startGcsTestServer({ ...options, clockOffsetMs });
  servers.push(server);
  return server;
}

/** Every event and every log line skewguard produced, as text too (for secret checks). */
export interface Recorder {
  events: SkewguardEvent[];
  lines: string[];
  options: Pick<GcsSkewOptions, "onEvent" | "logger" | "offsets">;
  types(): string[];
}

export function recorder(): Recorder {
  const events: SkewguardEvent[] = [];
  const lines: string[] = [];
  const line = (obj: object, msg?: string) => lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  const logger: Logger = { warn: line, info: line, debug: line, error: line };
  return {
    events,
    lines,
    // An own store per test: the process-wide one would carry offsets from test to test.
    options: { onEvent: (e) => events.push(e), logger, offsets: new OffsetStore() },
    types: () => events.map((e) => e.type),
  };
}

export interface ClientOptions {
  /** skewguard options; `false` for the bare SDK. */
  wrap: GcsSkewOptions | false;
  /** Sign grants with this key instead of the account's (a wrong key). */
  privateKey?: string;
  /**
   * A universe other than googleapis.com: google-auth-library then sends self-signed JWTs to
   * the API instead of granting tokens.
   */
  universeDomain?: string;
}

/**
 * `new Storage({ credentials })` pointed at the fake, as a user would configure it for an
 * emulator, with the auth client's grants redirected to the fake's token endpoint.
 */
export async function storageFor(server: GcsTestServer, options: ClientOptions): Promise<Storage> {
  const account = testServiceAccount(undefined, {
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
  });
  const bare = new Storage({
    apiEndpoint: server.url,
    useAuthWithCustomEndpoint: true,
    projectId: "test-project",
    credentials: { client_email: account.client_email, private_key: account.private_key },
    retryOptions: { autoRetry: false },
    ...(options.universeDomain ? { universeDomain: options.universeDomain } : {}),
  });
  const storage = options.wrap === false ? bare : withSkewRecovery(bare, options.wrap);
  const client = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(client, server.tokenUrl);
  return storage;
}

/**
 * `new Storage({ credentials })` left on Google's default endpoint, as a user would configure
 * it, with retries left on: every request the auth client makes (token grants, every step of a
 * resumable upload) is sent to the fake. JSON API calls (download, list) are not: read what was
 * stored from `server.objects`.
 */
export async function storageOnGoogleEndpoint(
  server: GcsTestServer,
  wrap: GcsSkewOptions | false,
): Promise<Storage> {
  const account = testServiceAccount();
  const bare = new Storage({
    projectId: "test-project",
    credentials: { client_email: account.client_email, private_key: account.private_key },
  });
  const storage = wrap === false ? bare : withSkewRecovery(bare, wrap);
  const client = (await storage.authClient.getClient()) as unknown as { transporter: unknown };
  redirectGoogleTokenRequests(client, server.tokenUrl);
  redirectGoogleStorageRequests(client, server.url);
  return storage;
}

/** The access token the client holds now (to check no event carries it). */
export async function accessTokenOf(storage: Storage): Promise<string | undefined> {
  const client = (await storage.authClient.getClient()) as unknown as {
    credentials: { access_token?: string | null };
  };
  return client.credentials.access_token ?? undefined;
}

/** No private key, JWT, bearer or access token in any text skewguard produced. */
export function expectNothingSecret(texts: readonly string[], secrets: readonly string[]): void {
  const key = testServiceAccount().private_key;
  const keyBody = key.split("\n").filter((l) => l && !l.startsWith("-----"));
  const forbidden = [...secrets, "PRIVATE KEY", "Bearer ", "ya29.", ...keyBody.slice(2, 6)];
  for (const text of texts) {
    for (const secret of forbidden) expect(text).not.toContain(secret);
    // A JWT's header segment starts with base64url of '{"'.
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
  }
}

/** Settles a promise into its rejection (or undefined if it resolved). */
export async function failureOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
}

/** The signing time (ms) and lifetime (s) a V4 signed URL carries. */
export function signedTimes(url: string): { dateMs: number; expiresSeconds: number } {
  const params = new URL(url).searchParams;
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get("X-Goog-Date") ?? "");
  const [y, mo, day, h, mi, s] = (d ?? []).slice(1).map(Number) as number[];
  return {
    dateMs: Date.UTC(y!, mo! - 1, day!, h!, mi!, s!),
    expiresSeconds: Number(params.get("X-Goog-Expires")),
  };
}
