import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** A service-account key file, as `gcloud iam service-accounts keys create` writes it. */
export interface ServiceAccountKey {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  [field: string]: string;
}

/** An account the fake accepts: its private key (the public half is derived) or public key. */
export interface GcsTestAccount {
  client_email: string;
  private_key?: string;
  public_key_pem?: string;
}

const KEY_FILE = "gcs-v4-signing-service-account.json";
let cached: ServiceAccountKey | undefined;

/**
 * The published conformance test account (`shared/conformance/`), with `token_uri` pointed at
 * the fake when one is given. The folder is found through `SKEWGUARD_CONFORMANCE_DIR`, else by
 * walking up from the working directory to a `shared/conformance/` folder (the repository
 * sits beside `shared/`). `privateKey` swaps the key, for "wrong key" scenarios.
 *
 * Note: google-auth-library 9's `JWT` ignores `token_uri` (gtoken 7 always posts to Google);
 * use `redirectGoogleTokenRequests` to reach the fake.
 */
export function testServiceAccount(
  server?: { tokenUrl: string },
  options: { privateKey?: string } = {},
): ServiceAccountKey {
  cached ??= JSON.parse(readFileSync(conformanceKeyPath(), "utf8")) as ServiceAccountKey;
  return {
    ...cached,
    ...(server ? { token_uri: server.tokenUrl } : {}),
    ...(options.privateKey ? { private_key: options.privateKey } : {}),
  };
}

/** A fresh RSA-2048 key in PKCS#8 PEM, the format of a key file's `private_key`. */
export function generateTestPrivateKey(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
}

/** Public keys by email, from private keys or public PEMs. */
export function publicKeysOf(accounts: readonly GcsTestAccount[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const account of accounts) {
    const source = account.public_key_pem ?? account.private_key;
    if (!source) throw new TypeError(`${account.client_email}: give private_key or public_key_pem`);
    keys.set(account.client_email, createPublicKey(source));
  }
  return keys;
}

function conformanceKeyPath(): string {
  const fromEnv = process.env["SKEWGUARD_CONFORMANCE_DIR"];
  if (fromEnv) return path.join(fromEnv, KEY_FILE);
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "shared", "conformance", KEY_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(
    `${KEY_FILE} not found above ${process.cwd()}; set SKEWGUARD_CONFORMANCE_DIR to the shared/conformance folder`,
  );
}
