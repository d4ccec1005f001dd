// Real-shaped responses from S3 and Azure Blob Storage, on a fake clock, as a provider adapter
// reports them to the engine. The example needs no network and gives the same output on
// every run. Each failure carries a planted credential, as a gateway or an error page may echo
// one: none of them may reach the logs or the traces.

/** The signature of an S3 request, as an echoed Authorization header shows it. */
export const PLANTED_SIGNATURE = "3f9a6c1e8b2d47f0a5c6e9b8d7f1a2c3b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9";
/** A SAS token's `sig`, URL-encoded as it appears in a query. */
export const PLANTED_SAS_SIG = "Kq7Zr2Lm9Xw4Tn8Vb3Hc6Jd1Fg5Sp0Ya2Ue7Wi4Oo9Q%3D";
/** A SharedKey request signature (base64). */
export const PLANTED_SHARED_KEY = "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ9sZWNyZXQ=";
/** Every planted secret, in each form it could leak in. */
export const PLANTED_SECRETS = [
  PLANTED_SIGNATURE,
  PLANTED_SAS_SIG,
  decodeURIComponent(PLANTED_SAS_SIG),
  PLANTED_SHARED_KEY,
];

/** The access key id S3 echoes. Not a secret, but the app's log policy masks it (see main.mjs). */
export const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";

/** The Authorization header of the GET signed with the wrong key. */
export const SENT_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/20261123/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${PLANTED_SIGNATURE}`;

export const SERVER_NOW = Date.parse("2026-11-23T10:00:00Z");
const MIN = 60_000;

const iso = (ms) => new Date(ms).toISOString();
const isoSeconds = (ms) => iso(ms).replace(/\.\d{3}Z$/, "Z");
const httpDate = (ms) => new Date(ms).toUTCString();

/**
 * A local clock `behindMs` behind the servers' (negative: ahead), and servers on the right
 * time. `attempts(answers)` is what a provider adapter hands the engine: a function that sends
 * the request once, signed at the offset the engine gives, and reports the response; each
 * call answers with the next of `answers` and takes 20 ms.
 */
export function fakeWorld(behindMs) {
  let local = SERVER_NOW - behindMs;
  const clock = { now: () => local };
  const attempts = (answers) => {
    let next = 0;
    return async ({ offsetMs }) => {
      const answer = answers[Math.min(next++, answers.length - 1)];
      const signedAt = local + offsetMs;
      local += 20;
      const serverMs = signedAt - offsetMs + behindMs + 10;
      const headers = { date: httpDate(serverMs), ...answer.headers };
      const body = answer.body?.(signedAt, serverMs);
      const response = () => ({
        headers,
        body,
        ...(answer.signed ? { signed: answer.signed } : {}),
      });
      if (answer.status < 400) return { value: "ok", status: answer.status, response };
      return { error: new Error(`HTTP ${answer.status}`), status: answer.status, response };
    };
  };
  return { clock, attempts, advance: (ms) => (local += ms) };
}

/** S3 refusing a SigV4 request signed too far from its clock. */
export function s3TooSkewed(requestMs, serverMs) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>${isoSeconds(requestMs)}</RequestTime><ServerTime>${isoSeconds(serverMs)}</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>4442587FB7D0A2F9</RequestId><HostId>Yp0L9m7k1Xo2r3T4u5V6w7X8y9Z0a1B2c3D4e5F6g7H8=</HostId></Error>`;
}

/** A SignatureDoesNotMatch from an S3-compatible gateway that echoes the Authorization header. */
export function s3MismatchEchoingAuthorization() {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method. Authorization: ${SENT_AUTHORIZATION}</Message><AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId><RequestId>9D1C4C2E8B7A6F50</RequestId></Error>`;
}

function azureError(serverMs, detail) {
  // Real Azure: a byte-order mark, 7 fractional digits in Time:, the detail as prose.
  const time = iso(serverMs).replace("Z", "0000Z");
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:b0e5c2f4-601e-0070-1a2b-3c4d5e000000
Time:${time}</Message><AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail></Error>`;
}

/** Azure refusing a SharedKey request whose x-ms-date is too old, quoting the header it got. */
export function azureDateTooOld(requestMs, serverMs) {
  return azureError(
    serverMs,
    `Request date header too old: '${httpDate(requestMs)}'. Authorization: SharedKey devstoreaccount1:${PLANTED_SHARED_KEY}`,
  );
}

/** Azure refusing a SAS URL that expired by the server's clock, naming the URL with its sig. */
export function azureSasExpired(requestMs, serverMs) {
  const start = httpDate(requestMs - 5 * MIN);
  const expiry = httpDate(requestMs + 10 * MIN);
  return azureError(
    serverMs,
    `Signature not valid in the specified time frame: Start [${start}] - Expiry [${expiry}] - Current [${httpDate(serverMs)}] on /reports/q4.csv?sp=r&amp;sr=b&amp;sig=${PLANTED_SAS_SIG}`,
  );
}
