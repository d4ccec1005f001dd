import {
  formatV4DateTime,
  resolveV4Target,
  signWithKey,
  V4_ALGORITHM,
  V4_MAX_EXPIRES_SECONDS,
  type V4SigningKey,
  type V4Target,
  v4CredentialScope,
} from "./v4-signer.js";

/**
 * A policy condition as GCS reads it: `{ "acl": "public-read" }` (exact match),
 * `["starts-with", "$key", "uploads/"]`, `["content-length-range", 0, 1048576]`, ...
 */
export type V4PolicyCondition =
  | Readonly<Record<string, string>>
  | readonly [string, ...Array<string | number>];

export type V4PostPolicyOptions = V4Target &
  V4SigningKey & {
    object: string;
    /** Seconds the policy stays valid after `timestampMs`, 1 to 604800. */
    expiresInSeconds: number;
    /** The signing time, milliseconds since the epoch (sub-second part dropped). */
    timestampMs: number;
    clientEmail: string;
    /**
     * Form fields the browser will post; each becomes an exact-match condition, except
     * `x-ignore-*` fields, which GCS ignores and so are left out of the policy.
     */
    fields?: Readonly<Record<string, string>>;
    /** Extra conditions, placed before the ones the fields and signature imply. */
    conditions?: readonly V4PolicyCondition[];
  };

export interface V4PostPolicy {
  /** Where the form posts to. */
  url: string;
  /** Every form field, `policy` and `x-goog-signature` included. */
  fields: Record<string, string>;
  /** The policy document as signed (JSON; base64 of it is `fields.policy`). */
  policy: string;
}

/** Builds and signs a V4 POST policy document for a browser form upload. */
export async function signV4PostPolicy(options: V4PostPolicyOptions): Promise<V4PostPolicy> {
  const { object, expiresInSeconds, timestampMs, clientEmail, ...where } = options;
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < 1 ||
    expiresInSeconds > V4_MAX_EXPIRES_SECONDS
  ) {
    throw new RangeError(`expiresInSeconds must be an integer from 1 to ${V4_MAX_EXPIRES_SECONDS}`);
  }
  // Resolved without the object: a form posts to the bucket, the key travels as a field.
  const target = resolveV4Target(where);
  const dateTime = formatV4DateTime(timestampMs);
  const credential = `${clientEmail}/${v4CredentialScope(dateTime)}`;
  // As the library builds them: the caller's fields, then the ones the signature implies (a
  // caller's field of the same name keeps its place and takes the implied value); each field
  // but `x-ignore-*` becomes an exact-match condition, after the caller's conditions.
  const signedFields: Record<string, string> = {
    ...options.fields,
    bucket: options.bucket,
    key: object,
    "x-goog-date": dateTime,
    "x-goog-credential": credential,
    "x-goog-algorithm": V4_ALGORITHM,
  };
  const policy = asciiJson({
    conditions: [
      ...(options.conditions ?? []),
      ...Object.entries(signedFields)
        .filter(([name]) => !name.startsWith("x-ignore-"))
        .map(([name, value]) => ({ [name]: value })),
    ],
    expiration: new Date((Math.floor(timestampMs / 1000) + expiresInSeconds) * 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z"),
  });
  const encoded = Buffer.from(policy, "utf8").toString("base64");
  const signature = await signWithKey(options, encoded);
  // The form posts to the bucket: its name is in the URL, not a field.
  const { bucket: _bucket, ...formFields } = signedFields;
  return {
    url: `${target.origin}${target.path.endsWith("/") ? target.path : `${target.path}/`}`,
    fields: {
      ...formFields,
      policy: encoded,
      "x-goog-signature": Buffer.from(signature).toString("hex"),
    },
    policy,
  };
}

/**
 * JSON with every non-ASCII character escaped as `\uXXXX`: the policy is signed as bytes, and
 * this keeps those bytes independent of how the document is later transcoded.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
