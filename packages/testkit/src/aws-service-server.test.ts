import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type AwsServiceTestServer, startAwsServiceTestServer } from "./aws-service-server.js";
import { DEFAULT_CREDENTIALS } from "./s3-server.js";
import {
  authorizationHeader,
  canonicalRequest,
  credentialScopeString,
  formatAmzDate,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
} from "./sigv4.js";

const MINUTE = 60_000;
const [KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0] as [string, string];

const servers: AwsServiceTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: Parameters<typeof startAwsServiceTestServer>[0] = {}) {
  const started = await startAwsServiceTestServer({ idleTimeoutMs: 30_000, ...options });
  servers.push(started);
  return started;
}

interface Call {
  service: string;
  signedAtMs: number;
  body: string;
  headers: Record<string, string>;
  secret?: string;
  region?: string;
}

/** A SigV4-signed POST to `/`, as the SDKs send JSON and Query requests. */
async function call(target: AwsServiceTestServer, c: Call) {
  const amzDate = formatAmzDate(c.signedAtMs);
  const headers: Record<string, string> = {
    host: `127.0.0.1:${target.port}`,
    "x-amz-date": amzDate,
    ...c.headers,
  };
  const signed = Object.keys(headers).sort();
  const scope = { date: amzDate.slice(0, 8), region: c.region ?? "us-east-1", service: c.service };
  const creq = canonicalRequest({
    method: "POST",
    path: "/",
    query: "",
    headers: Object.entries(headers),
    signedHeaders: signed,
    payloadHash: sha256Hex(c.body),
  });
  const sig = signature(
    signingKey(c.secret ?? SECRET, scope),
    stringToSign(amzDate, credentialScopeString(scope), creq),
  );
  const response = await fetch(target.url, {
    method: "POST",
    headers: {
      ...headers,
      authorization: authorizationHeader(KEY_ID, credentialScopeString(scope), signed, sig),
    },
    body: c.body,
  });
  return { response, text: await response.text(), canonical: creq };
}

const dynamo = (operation: string, input: object, signedAtMs: number, secret?: string) => ({
  service: "dynamodb",
  signedAtMs,
  body: JSON.stringify(input),
  headers: {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": `DynamoDB_20120810.${operation}`,
  },
  ...(secret ? { secret } : {}),
});

const sts = (signedAtMs: number) => ({
  service: "sts",
  signedAtMs,
  body: "Action=GetCallerIdentity&Version=2011-06-15",
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

describe("startAwsServiceTestServer", () => {
  it("refuses a DynamoDB request signed 20 minutes behind as awsJson does, naming both times", async () => {
    const s = await server({ clockOffsetMs: 20 * MINUTE });
    const { response, text } = await call(s, dynamo("ListTables", {}, Date.now()));
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toMatch(/^InvalidSignatureException:/);
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(text) as { __type: string; message: string };
    expect(body.__type).toBe("com.amazon.coral.service#InvalidSignatureException");
    const m =
      /^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)$/.exec(
        body.message,
      );
    expect(m).not.toBeNull();
    const serverTimeMs = Date.parse(
      String(m?.[3]).replace(/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/, "$1-$2-$3T$4:$5:$6Z"),
    );
    expect(Math.abs(serverTimeMs - s.now())).toBeLessThan(2_000);
    expect(Date.parse(response.headers.get("date") as string)).toBe(
      Math.floor(serverTimeMs / 1000) * 1000,
    );
    expect(s.log).toMatchObject([
      {
        service: "dynamodb",
        operation: "ListTables",
        status: 400,
        code: "InvalidSignatureException",
      },
    ]);
  });

  it("says 'not yet current' to a request signed ahead, with the window it allows", async () => {
    const s = await server({ clockOffsetMs: -20 * MINUTE, allowedSkewMs: 15 * MINUTE });
    const { text } = await call(s, dynamo("ListTables", {}, Date.now()));
    expect((JSON.parse(text) as { message: string }).message).toMatch(
      /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/,
    );
  });

  it("answers DynamoDB PutItem, GetItem and ListTables inside the window", async () => {
    const s = await server({ clockOffsetMs: 2 * MINUTE });
    const item = { id: { S: "1" }, name: { S: "one" } };
    const put = await call(s, dynamo("PutItem", { TableName: "t", Item: item }, Date.now()));
    expect(put.response.status).toBe(200);
    const got = await call(
      s,
      dynamo("GetItem", { TableName: "t", Key: { id: { S: "1" } } }, Date.now()),
    );
    expect(JSON.parse(got.text)).toEqual({ Item: item });
    const tables = await call(s, dynamo("ListTables", {}, Date.now()));
    expect(JSON.parse(tables.text)).toEqual({ TableNames: ["t"] });
    expect(s.tables.get("t")).toEqual([item]);
  });

  it("quotes the canonical request and string to sign it computed when a signature differs", async () => {
    const s = await server();
    const { response, text, canonical } = await call(
      s,
      dynamo("ListTables", {}, Date.now(), "a-wrong-secret"),
    );
    expect(response.status).toBe(400);
    const { message } = JSON.parse(text) as { message: string };
    expect(message).toContain("The request signature we calculated does not match");
    expect(message).toContain(
      `The Canonical String for this request should have been\n'${canonical}'`,
    );
    expect(message).toContain("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n");
  });

  it("checks the credential scope's service and the access key", async () => {
    const s = await server();
    const wrongService = await call(s, { ...dynamo("ListTables", {}, Date.now()), service: "s3" });
    expect(JSON.parse(wrongService.text)).toMatchObject({
      message: "Credential should be scoped to correct service: 'dynamodb'. ",
    });
    const response = await fetch(s.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
        "x-amz-date": formatAmzDate(Date.now()),
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/${formatAmzDate(Date.now()).slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
      body: "{}",
    });
    expect(await response.json()).toMatchObject({
      __type: "com.amazon.coral.service#UnrecognizedClientException",
    });
  });

  it("answers STS in awsQuery's ErrorResponse: SignatureDoesNotMatch, or RequestExpired with no time", async () => {
    const s = await server({ clockOffsetMs: 20 * MINUTE });
    const stale = await call(s, sts(Date.now()));
    expect(stale.response.status).toBe(403);
    expect(stale.text).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>SignatureDoesNotMatch<\/Code>\s*<Message>Signature expired: /,
    );
    expect(stale.text).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
    const expired = await server({ clockOffsetMs: 20 * MINUTE, queryTimeError: "RequestExpired" });
    const answer = await call(expired, sts(Date.now()));
    expect(answer.response.status).toBe(400);
    expect(answer.text).toContain("<Code>RequestExpired</Code>");
    expect(answer.text).toContain("<Message>Request has expired.</Message>");
    const ok = await call(s, sts(s.now()));
    expect(ok.response.status).toBe(200);
    expect(ok.text).toContain(`<UserId>${KEY_ID}</UserId>`);
  });

  it("answers SQS with the Query-compatible error header and the body digest its SDK checks", async () => {
    const s = await server({ clockOffsetMs: 20 * MINUTE });
    const sqs = (signedAtMs: number) => ({
      service: "sqs",
      signedAtMs,
      body: JSON.stringify({ QueueUrl: `${s.url}/000000000000/q`, MessageBody: "hello" }),
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.SendMessage",
      },
    });
    const refused = await call(s, sqs(Date.now()));
    expect(refused.response.headers.get("x-amzn-query-error")).toBe(
      "InvalidSignatureException;Sender",
    );
    const sent = await call(s, sqs(s.now()));
    expect(JSON.parse(sent.text)).toMatchObject({
      MD5OfMessageBody: createHash("md5").update("hello").digest("hex"),
    });
    expect(s.queues.get("q")).toEqual(["hello"]);
  });

  it("moves its clock on demand and counts every request", async () => {
    const s = await server();
    expect((await call(s, sts(Date.now()))).response.status).toBe(200);
    s.stepClock(6 * MINUTE);
    expect((await call(s, sts(Date.now()))).response.status).toBe(403);
    expect(s.clockOffsetMs).toBe(6 * MINUTE);
    expect(s.attempts).toBe(2);
    expect(s.attemptsBy({ service: "sts", status: 403 })).toBe(1);
    s.resetCounts();
    expect(s.attempts).toBe(0);
  });
});
