import type { Cause, Provider } from "./types.js";

/**
 * The catalogue of causes (design section 5): for each, the evidence that leads to it, what to
 * do, and what people try in vain. Fixes and dead ends are written per provider where they
 * differ, so a diagnosis names only the service at hand; each dead end says which causes it
 * would fix, so a diagnosis never calls it futile while one of those is still open.
 */

/** What to do about a cause, provider-neutral: the public summary of the catalogue. */
export interface CatalogueEntry {
  /** The evidence that leads to this cause, in words. */
  evidence: string;
  fixes: readonly string[];
  deadEnds: readonly string[];
  /** The one check that confirms this cause when a diagnosis leaves it open ("" for `unknown`). */
  check: string;
}

/** A thing people try that will not help, and the causes it would fix (it is listed only once they are ruled out). */
export interface DeadEnd {
  text: string;
  fixes: readonly Cause[];
  /** Listed only when the signing clock was found off (`skewed`) or found right (`clock-right`). */
  when?: "skewed" | "clock-right";
}

interface Advice {
  evidence: string;
  fixes: readonly string[] | ((provider: Provider) => readonly string[]);
  deadEnds: readonly DeadEnd[] | ((provider: Provider) => readonly DeadEnd[]);
  /** The one check that confirms this cause when it is a candidate. */
  check: string | ((provider: Provider) => string);
}

const CLOCK_CAUSES: readonly Cause[] = ["clock-behind", "clock-ahead", "jwt-clock-skew"];
const KEY_CAUSES: readonly Cause[] = [
  "secret-key-mismatch",
  "access-key-disabled",
  "temporary-credentials-expired",
  "session-token-missing",
];

const CLOCK_FIXES = [
  "Resynchronise the clock: `sudo timedatectl set-ntp true` or `sudo chronyc makestep` (Linux), `w32tm /resync` (Windows), `sudo sntp -sS time.apple.com` (macOS)",
  "In a container or VM, fix the host's clock (containers share it); after suspend/resume, restart the time service",
  "Meanwhile skewguard signs on the server's clock: keep its plugin/wrapper installed",
] as const;

function keysDeadEnd(provider: Provider, why: string): DeadEnd {
  const keys =
    provider === "azure"
      ? "Regenerating the storage account key"
      : provider === "gcs"
        ? "Rotating the HMAC or service-account key"
        : "Regenerating or rotating access keys";
  return { text: `${keys}: ${why}`, fixes: KEY_CAUSES };
}

const FIX_CLOCK_DEAD_END: DeadEnd = {
  text: "Fixing the clock: it was already right",
  fixes: CLOCK_CAUSES,
  when: "clock-right",
};

const SWITCH_SIGNING_DEAD_END: DeadEnd = {
  text: "Switching the signature version or the SDK: every signature carries the clock",
  fixes: ["algorithm-mismatch"],
};

const CLOCK_CHECK =
  "`skewguard skew <endpoint>` (or `skewguard doctor error --check-clock`) on the machine that signed: an offset of a minute or more confirms it";

function signingHelper(provider: Provider): string {
  if (provider === "azure") {
    return "Make the SAS with skewguard's signing helper (generateBlobSasUrl from @skewguard/azure-blob), which signs on the server's clock";
  }
  const pkg = provider === "gcs" ? "@skewguard/gcs" : "@skewguard/aws-s3";
  return `Make the URL with skewguard's signing helper (getSignedUrl from ${pkg}), which signs on the server's clock`;
}

const ADVICE: Readonly<Record<Cause, Advice>> = {
  "clock-behind": {
    evidence:
      "the server's time (`ServerTime`, Azure `Time:`, a `Date` header, the time in an AWS `Signature expired` message) is later than the request's (`RequestTime`, `X-Amz-Date`, the string-to-sign date, `x-ms-date`) by more than a minute, and the client's own log (when pasted) read the request's time, not the server's",
    fixes: CLOCK_FIXES,
    deadEnds: (p) => [keysDeadEnd(p, "the key was fine"), SWITCH_SIGNING_DEAD_END],
    check: CLOCK_CHECK,
  },
  "clock-ahead": {
    evidence:
      "the request's time is later than the server's by more than a minute (`RequestTimeTooSkewed` with a later `RequestTime`, `Signature not yet current`, `Request date header too new`)",
    fixes: CLOCK_FIXES,
    deadEnds: (p) => [keysDeadEnd(p, "the key was fine"), SWITCH_SIGNING_DEAD_END],
    check: CLOCK_CHECK,
  },
  "signed-too-early": {
    evidence:
      "the request's time is minutes older than the server's, while the client's own clock (its log lines, the SDK error's `time`) read the server's time when the answer came; or signs of a late send: a retry history, a Lambda invocation that ended before the request left",
    fixes: [
      "Sign right before sending: do not keep signed requests in a queue, and let the SDK sign each retry afresh rather than resending the old signature",
      "In AWS Lambda, await every request before the handler returns: a request left pending is sent when the frozen sandbox thaws, minutes later",
      "Bound slow sends (a part upload, a 100-continue wait) well inside the window: 5 minutes for AWS JSON and query APIs, 15 minutes for S3",
    ],
    deadEnds: (p) => [
      {
        text: "Fixing the clock: it agrees with the server's; the request was old when it left",
        fixes: CLOCK_CAUSES,
        when: "clock-right",
      },
      keysDeadEnd(p, "the key was fine"),
    ],
    check:
      "Compare when the request was sent (your log's time of the send) with its signing time: minutes apart means it waited after signing",
  },
  "presigned-expired": {
    evidence:
      "`Request has expired`, GCS `ExpiredToken` with `expired at`, R2 `ExpiredRequest`, an Azure SAS `Expiry [...]` before `Current [...]`: the URL's `X-Amz-Date` + `X-Amz-Expires` (or `se`) is past the server's time",
    fixes: (p) => [
      signingHelper(p),
      "Make URLs close to when they are used, with an expiry that covers the delay",
    ],
    deadEnds: [
      { text: "Re-signing with the same skewed clock", fixes: [] },
      { text: "Lengthening the expiry to hide a clock error", fixes: [] },
    ],
    check: "`skewguard doctor url '<url>'`: when it expires, by this clock and by the server's",
  },
  "presigned-not-yet-valid": {
    evidence:
      "`Request is not yet valid`, MinIO `Request is not valid yet`, an Azure SAS `Start [...]` after `Current [...]`: the URL's signing or start time is in the server's future",
    fixes: (p) => [
      signingHelper(p),
      "Do not set a start time in the future, or start it a few minutes in the past",
    ],
    deadEnds: [{ text: "Re-signing with the same skewed clock", fixes: [] }],
    check: "`skewguard doctor url '<url>'`: when it starts, by this clock and by the server's",
  },
  "presigned-expiry-too-long": {
    evidence:
      "`X-Amz-Expires must be less than a week`, an `X-Amz-Expires` over 604800, a GCS V2 `Expires` more than 7 days after the failure: the lifetime is over the 7-day maximum",
    fixes: (p) =>
      p === "gcs"
        ? [
            "Ask for at most 7 days: V4 `X-Goog-Expires` ≤ 604800; a V2 URL whose `Expires` is further out is refused with SignatureDoesNotMatch",
            "For longer access, make URLs on demand instead of one long-lived URL",
          ]
        : [
            "Ask for at most 604800 s (7 days) in `X-Amz-Expires` (`expiresIn`)",
            "For longer access, make URLs on demand; a URL signed with temporary credentials ends with the session anyway",
          ],
    deadEnds: (p) => [
      keysDeadEnd(p, "the lifetime is refused whatever key signs it"),
      { text: "Fixing the clock: the lifetime, not the time, is refused", fixes: CLOCK_CAUSES },
    ],
    check:
      "Read the URL's `X-Amz-Expires` (or V2 `Expires`): more than 604800 s after signing confirms it",
  },
  "secret-key-mismatch": {
    evidence:
      "the server's string-to-sign equals the client's (so only the secret differs), or a resend on the corrected clock failed the same way, or the clock is ruled out and the request reached the server unchanged",
    fixes: (p) => [
      p === "azure"
        ? "Use this storage account's current key (key1/key2; after a rotation, the new one) or a SAS made with it; check the connection string the application reads"
        : p === "gcs"
          ? "Use the secret of this HMAC access id (Cloud Storage interoperability keys), or for a service account the key file of this project; check GOOGLE_APPLICATION_CREDENTIALS"
          : "Use the secret access key that belongs to this access key id, in this account and environment (staging vs production); check where the SDK reads credentials from (environment variables, the profile in ~/.aws/credentials, the instance or task role)",
      "Check for whitespace or a truncated secret in the configuration",
    ],
    deadEnds: [
      {
        text: "Retrying: the same key signs the same wrong signature",
        fixes: ["signed-too-early"],
      },
      FIX_CLOCK_DEAD_END,
    ],
    check: (p) =>
      p === "azure"
        ? "Compare the AuthenticationErrorDetail's 'Server used following string to sign' with the string your client signed: identical strings mean the account key is wrong"
        : "Compare the server's StringToSign with the one the SDK's debug log shows: identical strings with a failing signature mean the secret is wrong",
  },
  "credential-scope-mismatch": {
    evidence:
      "`AuthorizationHeaderMalformed`/`AuthorizationQueryParametersError` naming the wrong and the expected region, `InvalidRegionName`, `IllegalLocationConstraintException`, `Credential should be scoped to correct service`, a scope date that is not the request's UTC date, or a server string-to-sign whose scope differs from the client's",
    fixes: (p) =>
      p === "gcs"
        ? [
            "Sign for the region the endpoint expects (`auto` for GCS's XML API with HMAC keys) and the service `s3` (HMAC) or `storage` (V4 RSA)",
          ]
        : [
            "Sign for the bucket's region and the endpoint's service: set the client's region to the one the error (or the `x-amz-bucket-region` header) names",
            "Take the scope date from the same UTC instant as X-Amz-Date, never from a local date",
          ],
    deadEnds: (p) => [
      keysDeadEnd(p, "the scope, not the key, is refused"),
      { text: "Fixing the clock", fixes: CLOCK_CAUSES },
    ],
    check:
      "Compare the region and service in the Credential scope with the bucket's region (`x-amz-bucket-region` of a HEAD) and the endpoint's service",
  },
  "algorithm-mismatch": {
    evidence:
      "`Please use AWS4-HMAC-SHA256`, `SigV2 authorization is not supported`, `The authorization mechanism you have provided is not supported`, or a server string-to-sign of another algorithm than the client's",
    fixes: (p) =>
      p === "azure"
        ? ["Sign with SharedKey (not SharedKeyLite) for the blob service, or use a SAS"]
        : p === "gcs"
          ? [
              "Sign with V4 on both sides: GOOG4-RSA-SHA256 for service accounts, AWS4-HMAC-SHA256 for HMAC keys",
            ]
          : [
              "Sign with SigV4 (AWS4-HMAC-SHA256): `signature_version = s3v4` in the AWS CLI/boto3 config, or upgrade the library that signs SigV2",
            ],
    deadEnds: (p) => [
      { text: "Switching the algorithm on one side only", fixes: [] },
      keysDeadEnd(p, "the algorithm, not the key, is refused"),
    ],
    check:
      "Read the Authorization header (or the URL's X-Amz-Algorithm): SigV4 starts with AWS4-HMAC-SHA256",
  },
  "request-changed": {
    evidence:
      "the server's canonical request or string-to-sign differs from the client's in a header, the path or the query encoding; a header a proxy owns (`cf-ray`, `x-forwarded-*`, `via`) among the signed headers; a presigned PUT sent with another Content-Type than it was signed with",
    fixes: [
      "Find the proxy, load balancer or code that changes the request after signing (the header, path or query named above)",
      "Sign exactly what is sent: set the header before signing or leave it out of the signed headers; send a presigned PUT with the Content-Type it was signed with",
    ],
    deadEnds: (p) => [
      keysDeadEnd(p, "the request changed, not the key"),
      { text: "Fixing the clock", fixes: CLOCK_CAUSES },
    ],
    check:
      "Diff the server's CanonicalRequest with the client's (debug log): the first differing header, path or query names what changed",
  },
  "jwt-clock-skew": {
    evidence:
      "`invalid_grant` with `Invalid JWT ... Check your iat and exp values` (or a token used too early/late): the service-account JWT was stamped on a wrong clock",
    fixes: CLOCK_FIXES,
    deadEnds: [
      {
        text: "Rotating the service account key: the JWT's iat/exp were the problem, not the key",
        fixes: KEY_CAUSES,
      },
      SWITCH_SIGNING_DEAD_END,
    ],
    check:
      "`skewguard skew oauth2.googleapis.com` on the machine that signed the JWT: an offset of a minute or more confirms it",
  },
  "temporary-credentials-expired": {
    evidence:
      "AWS `ExpiredToken`/`ExpiredTokenException`, `The security token included in the request is expired`: the session token of temporary credentials has expired (GCS's `ExpiredToken` on a signed URL is `presigned-expired`)",
    fixes: [
      "Refresh the session credentials: let the SDK's credential provider (role, SSO, web identity) refresh them instead of passing fixed keys, or run `aws sso login` / assume the role again",
      "For long jobs, use a provider that refreshes, or ask for a longer session duration",
    ],
    deadEnds: [
      {
        text: "Rotating the long-term access key: the session token expired, not the key",
        fixes: ["secret-key-mismatch", "access-key-disabled"],
      },
      { text: "Fixing the clock: the session ended by the server's clock", fixes: CLOCK_CAUSES },
    ],
    check: "`aws sts get-caller-identity` with the same credentials: ExpiredToken confirms it",
  },
  "session-token-missing": {
    evidence:
      "a temporary access key (`ASIA...`) refused as unknown (`InvalidAccessKeyId`, `UnrecognizedClientException`, `InvalidClientTokenId`) by a request, or a presigned URL, without `x-amz-security-token`",
    fixes: [
      "Send the session token with the temporary key: set AWS_SESSION_TOKEN (or aws_session_token in the profile) beside an ASIA... key id; a presigned URL must carry X-Amz-Security-Token",
      "Or use long-term credentials (AKIA...) where no session is wanted",
    ],
    deadEnds: [
      {
        text: "Rotating the access key: a temporary key works only with its token",
        fixes: ["secret-key-mismatch", "access-key-disabled"],
      },
      { text: "Fixing the clock", fixes: CLOCK_CAUSES },
    ],
    check:
      "Look at the access key id: an ASIA... key needs its session token (x-amz-security-token) on every request",
  },
  "access-key-disabled": {
    evidence:
      "a long-term key or identity the service does not know or has disabled: `InvalidAccessKeyId` with an `AKIA...` key, `InvalidClientTokenId`, `The Access Key Id you provided does not exist`, `invalid_grant: Robot is disabled`, `account not found`",
    fixes: (p) =>
      p === "gcs"
        ? [
            "Enable or recreate the service account (`gcloud iam service-accounts describe <email>`, `... enable`), or use a key of an account that exists",
          ]
        : p === "azure"
          ? ["Enable the storage account or use credentials of one that is enabled"]
          : [
              "Use an active key of this account: check its status (`aws iam list-access-keys --user-name <user>`), or on an S3-compatible store the user or service account (`mc admin user info`)",
              "Check the key is for this partition and endpoint (AWS, AWS China, GovCloud, or the compatible store)",
            ],
    deadEnds: [
      {
        text: "Fixing the clock: the key or identity is unknown to the service",
        fixes: CLOCK_CAUSES,
      },
      { text: "Retrying: the key stays unknown", fixes: ["signed-too-early"] },
    ],
    check: (p) =>
      p === "gcs"
        ? "`gcloud iam service-accounts describe <email>`: a missing or disabled account confirms it"
        : "`aws iam list-access-keys` (or the store's user list): a missing or Inactive key confirms it",
  },
  "server-clock-wrong": {
    evidence:
      "the server's time is provably wrong while the request's is plausible: a `Date` or `ServerTime` before 2012 (a board that booted in 1970, an RTC reset to 2000), or an origin's `ServerTime` far from its own edge's `Date` that agrees with the request",
    fixes: [
      "Fix the server's clock: on a self-hosted store (MinIO, Ceph RGW...) enable NTP on its host (`timedatectl set-ntp true`, chrony); a board without a real-time clock needs time sync before the service starts",
      "Until then, `skewguard skew <endpoint>` shows how far off it is, and skewguard's clients sign on its clock",
    ],
    deadEnds: (p) => [
      {
        text: "Changing this machine's clock to match: every other service would then refuse it",
        fixes: ["clock-behind", "clock-ahead"],
      },
      keysDeadEnd(p, "the key was fine"),
    ],
    check:
      "Compare the response's Date header with a trusted clock (`date -u` on a machine whose time is synchronised)",
  },
  unknown: {
    evidence:
      "nothing conclusive: a bare `SignatureDoesNotMatch`/`AuthFailure`/`AuthenticationFailed` with no times and no string-to-sign, a clock complaint that does not say which way, a 403 without a body; and failures that are not signature failures at all (404, policy denials, firewall and RBAC refusals)",
    fixes: [
      "Compare the server's string-to-sign with the client's (enable the SDK's debug logging)",
      "Check the credentials and the region",
    ],
    deadEnds: [],
    check: "",
  },
};

function resolve<T>(value: T | ((provider: Provider) => T), provider: Provider): T {
  return typeof value === "function" ? (value as (p: Provider) => T)(provider) : value;
}

/** Fixes, dead ends (with what they would fix) and the confirming check of `cause`, for `provider`. */
export function adviceFor(
  cause: Cause,
  provider: Provider,
): { fixes: readonly string[]; deadEnds: readonly DeadEnd[]; check: string } {
  const advice = ADVICE[cause];
  return {
    fixes: resolve(advice.fixes, provider),
    deadEnds: resolve(advice.deadEnds, provider),
    check: resolve(advice.check, provider),
  };
}

/**
 * The catalogue as data: every cause with its evidence, fixes and dead ends, in the words used
 * for S3 (the diagnosis itself words them for the provider at hand).
 */
export const CATALOGUE: Readonly<Record<Cause, CatalogueEntry>> = Object.fromEntries(
  (Object.keys(ADVICE) as Cause[]).map((cause) => {
    const { fixes, deadEnds, check } = adviceFor(cause, "s3");
    return [
      cause,
      { evidence: ADVICE[cause].evidence, fixes, deadEnds: deadEnds.map((d) => d.text), check },
    ];
  }),
) as unknown as Record<Cause, CatalogueEntry>;
