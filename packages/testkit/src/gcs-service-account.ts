import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
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
 * A service account for the fake, with `token_uri` pointed at it when one is given. By default
 * its key is generated once per process, so the testkit works from any folder and any install;
 * with `SKEWGUARD_CONFORMANCE_DIR` set, the published GCS conformance account in that folder is
 * used instead (the repository keeps a copy in `test/conformance/`), for byte-exact URL checks.
 * `privateKey` swaps the key, for "wrong key" scenarios.
 *
 * Note: google-auth-library 9's `JWT` ignores `token_uri` (gtoken 7 always posts to Google);
 * use `redirectGoogleTokenRequests` to reach the fake.
 */
export function testServiceAccount(
  server?: { tokenUrl: string },
  options: { privateKey?: string } = {},
): ServiceAccountKey {
  cached ??= loadAccount();
  return {
    ...cached,
    ...(server ? { token_uri: server.tokenUrl } : {}),
    ...(options.privateKey ? { private_key: options.privateKey } : {}),
  };
}

function loadAccount(): ServiceAccountKey {
  const dir = process.env["SKEWGUARD_CONFORMANCE_DIR"];
  if (dir) return JSON.parse(readFileSync(path.join(dir, KEY_FILE), "utf8")) as ServiceAccountKey;
  const email = "skewguard-test@skewguard-testkit.iam.gserviceaccount.com";
  return {
    type: "service_account",
    project_id: "skewguard-testkit",
    private_key_id: "0".repeat(40),
    private_key: generateTestPrivateKey(),
    client_email: email,
    client_id: "100000000000000000000",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
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
