// aws-any-client: DynamoDB, SQS and STS clients on a machine whose clock is 20 minutes ahead of
// AWS's (each service answers from a testkit endpoint of its own, its clock 20 minutes behind
// ours). The same calls, first with the bare SDK, then with skewguard's plugin on each client.
// `index.mjs` runs it; so does the test suite.
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { getSkewRecoveryPlugin } from "@skewguard/aws";
import { DEFAULT_CREDENTIALS, startAwsServiceTestServer } from "@skewguard/testkit";

const SERVER_OFFSET_MS = -20 * 60_000;
const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0];

// ---- What you write (the README's snippet) -------------------------------------------------

/** The app's clients; `plugin` adds skewguard to each (the same one line for any client). */
function connect(endpoints, plugin) {
  const config = (endpoint) => ({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  const dynamo = new DynamoDBClient(config(endpoints.dynamodb));
  const sqs = new SQSClient(config(endpoints.sqs));
  const sts = new STSClient(config(endpoints.sts));
  if (plugin) {
    for (const client of [dynamo, sqs, sts]) {
      client.middlewareStack.use(getSkewRecoveryPlugin(client.config, plugin));
    }
  }
  return { dynamo, sqs, sts };
}

/** What the app does: store an order, read it back, a malformed write, queue a job, who am I. */
async function useServices({ dynamo, sqs, sts }, queueUrl, count) {
  const Key = { id: { S: "order-1" } };
  return [
    await count("DynamoDB PutItem", () =>
      dynamo.send(
        new PutItemCommand({ TableName: "orders", Item: { ...Key, total: { N: "42" } } }),
      ),
    ),
    await count("DynamoDB GetItem", () =>
      dynamo.send(new GetItemCommand({ TableName: "orders", Key })),
    ),
    // A bug in the app (the item has no key): the clock has nothing to do with it.
    await count("DynamoDB PutItem, no key", () =>
      dynamo.send(new PutItemCommand({ TableName: "orders", Item: { total: { N: "1" } } })),
    ),
    await count("SQS SendMessage", () =>
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "ship order-1" })),
    ),
    await count("STS GetCallerIdentity", () => sts.send(new GetCallerIdentityCommand({}))),
  ];
}

// ---- The run ------------------------------------------------------------------------------

/** Runs both sets of clients against skewed servers, prints what happened, returns a summary. */
export async function main({ print = console.log } = {}) {
  // One testkit endpoint per service, as in AWS, each verifying SigV4 on its own clock.
  const servers = {};
  const clients = [];
  try {
    for (const name of ["dynamodb", "sqs", "sts"]) {
      servers[name] = await startAwsServiceTestServer({ clockOffsetMs: SERVER_OFFSET_MS });
    }
    const endpoints = Object.fromEntries(Object.entries(servers).map(([n, s]) => [n, s.url]));
    const queueUrl = `${servers.sqs.url}/000000000000/shipping`;
    const count = counter(Object.values(servers));
    print(`DynamoDB, SQS and STS endpoints, their clocks ${formatMs(SERVER_OFFSET_MS)} off ours.`);

    print("\nThe bare SDK:");
    const bareClients = connect(endpoints);
    clients.push(...Object.values(bareClients));
    const bare = await useServices(bareClients, queueUrl, count);
    printCalls(print, bare);

    print("\nFresh clients, each with getSkewRecoveryPlugin:");
    const events = [];
    const wrappedClients = connect(endpoints, { onEvent: (event) => events.push(event) });
    clients.push(...Object.values(wrappedClients));
    const wrapped = await useServices(wrappedClients, queueUrl, count);
    printCalls(print, wrapped);
    print("\nEvents:");
    for (const event of events) print(`  ${describeEvent(event)}`);

    return {
      serverOffsetMs: SERVER_OFFSET_MS,
      bare,
      wrapped,
      eventTypes: events.map((event) => event.type),
      recoveredOffsetsMs: events
        .filter((e) => e.type === "request.recovered")
        .map((e) => e.offsetMs),
    };
  } finally {
    for (const client of clients) client.destroy();
    await Promise.all(Object.values(servers).map((server) => server.close()));
  }
}

/** Runs one call and records how many requests reached the servers for it. */
function counter(servers) {
  const total = () => servers.reduce((sum, server) => sum + server.attempts, 0);
  return async (call, fn) => {
    const before = total();
    try {
      const result = await fn();
      return {
        call,
        attempts: total() - before,
        status: result.$metadata.httpStatusCode,
        sdkAttempts: result.$metadata.attempts,
        retryDelayMs: result.$metadata.totalRetryDelay,
      };
    } catch (error) {
      return {
        call,
        attempts: total() - before,
        status: error.$metadata?.httpStatusCode,
        code: error.name,
        sdkAttempts: error.$metadata?.attempts,
        retryDelayMs: error.$metadata?.totalRetryDelay,
      };
    }
  };
}

function printCalls(print, calls) {
  for (const { call, attempts, status, code, sdkAttempts, retryDelayMs } of calls) {
    const outcome = code ? `${status} ${code}` : String(status);
    // SDK retries (not skewguard's resend, which happens inside one SDK attempt) back off first.
    const slept = sdkAttempts > 1 ? `, SDK retried, slept ${retryDelayMs} ms in backoff` : "";
    print(`  ${call.padEnd(25)} ${plural(attempts, "attempt").padEnd(11)} ${outcome}${slept}`);
  }
}

function describeEvent(event) {
  const offset = event.offsetMs === undefined ? "" : ` offset ${formatMs(event.offsetMs)}`;
  const extra =
    event.type === "request.recovered"
      ? `, ${event.attempts} attempts, +${Math.round(event.extraLatencyMs)} ms`
      : event.type === "recovery.skipped"
        ? `, ${event.reason}`
        : "";
  return `${event.type.padEnd(18)} ${(event.operation ?? "").padEnd(18)}${offset}${extra}`;
}

function formatMs(ms) {
  const sign = ms < 0 ? "-" : "+";
  // Rounded to tenths of a second first, so 59.96 s reads "1 min 0.0 s", not "0 min 60.0 s".
  const tenths = Math.round(Math.abs(ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = ((tenths % 600) / 10).toFixed(1);
  return `${sign}${minutes} min ${seconds} s`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
