import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { getSkewRecoveryPlugin } from "@skewguard/aws-s3";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import {
  DEFAULT_CREDENTIALS,
  type S3TestServer,
  type S3TestServerOptions,
  startS3TestServer,
} from "@skewguard/testkit";
import { afterEach, expect } from "vitest";
import sdkPackage from "@aws-sdk/client-s3/package.json" with { type: "json" };

export const ACCESS_KEY_ID = "AKIDEXAMPLE";
export const SECRET = DEFAULT_CREDENTIALS[ACCESS_KEY_ID] as string;
export const WRONG_SECRET = "ZZZZZZZZZZfakeWrongSecretKeyForTests0000";
export const MINUTE = 60_000;

/**
 * The `@aws-sdk/client-s3` of this run: the newest, or the lowest of the peer range in the
 * minimum-versions leg (vitest.min.config.ts).
 */
export const SDK_VERSION: string = sdkPackage.version;

/**
 * What the bare SDK does, where that changed between the versions the legs run, as measured on
 * each of them. Another version throws: measure it before claiming anything of it.
 */
export function measuredOnSdk<T>(byVersion: Record<string, T>): T {
  if (!Object.hasOwn(byVersion, SDK_VERSION))
    throw new Error(`@aws-sdk/client-s3 ${SDK_VERSION}: not measured here`);
  return byVersion[SDK_VERSION] as T;
}

const servers: S3TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A testkit S3 server, closed after the test. */
export async function s3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const server = await startS3TestServer({ idleTimeoutMs: 30_000, ...options });
  servers.push(server);
  return server;
}

/** The offset store's key for the server: what events carry as `host`. */
export const endpointOf = (server: S3TestServer) => `${server.host}:${server.port}`;

export interface ClientOptions {
  secret?: string;
  /** `false`: the bare SDK, without the plugin. */
  wrapped?: boolean;
  maxAttempts?: number;
  replayBufferBytes?: number;
  /** More client configuration. */
  config?: S3ClientConfig;
}

/** Everything the plugin said, through `onEvent` and through a pino-style logger. */
export interface Said {
  events: SkewguardEvent[];
  logs: unknown[];
}

/** An S3 client on the server, with the plugin and a fresh offset store of its own. */
export function s3Client(server: S3TestServer, options: ClientOptions = {}) {
  const events: SkewguardEvent[] = [];
  const logs: unknown[] = [];
  const offsets = new OffsetStore();
  const client = new S3Client({
    region: "us-east-1",
    endpoint: server.url,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: options.secret ?? SECRET },
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...options.config,
  });
  if (options.wrapped !== false) {
    const log = (obj: unknown, msg?: string) => logs.push({ obj, msg });
    client.middlewareStack.use(
      getSkewRecoveryPlugin(client.config, {
        offsets,
        onEvent: (event) => events.push(event),
        logger: { debug: log, info: log, warn: log, error: log },
        ...(options.replayBufferBytes ? { replayBufferBytes: options.replayBufferBytes } : {}),
      }),
    );
  }
  return { client, events, logs, offsets };
}

/** Runs `fn` and returns how many requests the server counted while it ran. */
export async function counted<T>(
  server: S3TestServer,
  fn: () => Promise<T>,
): Promise<{ attempts: number; result: T }> {
  const before = server.attempts;
  const result = await fn();
  return { attempts: server.attempts - before, result };
}

/** Like `counted`, for a call expected to fail: the error and the attempts it cost. */
export async function countedFailure(
  server: S3TestServer,
  fn: () => Promise<unknown>,
): Promise<{ attempts: number; error: unknown }> {
  const before = server.attempts;
  const error = await fn().then(
    () => expect.fail("the call succeeded"),
    (e: unknown) => e,
  );
  return { attempts: server.attempts - before, error };
}

/**
 * No secret, signature or Authorization header reached an event or a log line. `forbidden`:
 * the secrets in play and the signatures the server echoed (`SignatureProvided`).
 */
export function expectNothingSecret(said: Said, forbidden: Array<string | undefined>): void {
  expect(said.events.length + said.logs.length).toBeGreaterThan(0);
  const text = JSON.stringify([said.events, said.logs]);
  for (const secret of forbidden) if (secret) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
  expect(text).not.toContain("AWS4-HMAC-SHA256 Credential=");
}

/** `SignatureProvided` of an S3 error: the signature the server saw, echoed back. */
export const signatureOf = (error: unknown) =>
  (error as { SignatureProvided?: string }).SignatureProvided;
