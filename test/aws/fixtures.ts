import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { getSkewRecoveryPlugin } from "@skewguard/aws";
import { OffsetStore, type SkewguardEvent } from "@skewguard/diagnosis";
import {
  type AwsServiceTestServer,
  type AwsServiceTestServerOptions,
  DEFAULT_CREDENTIALS,
  startAwsServiceTestServer,
} from "@skewguard/testkit";
import { afterEach } from "vitest";

export const MINUTE = 60_000;
export const [ACCESS_KEY_ID, SECRET] = Object.entries(DEFAULT_CREDENTIALS)[0] as [string, string];

const servers: AwsServiceTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A testkit AWS service endpoint, closed after the test. */
export async function awsServer(
  options: AwsServiceTestServerOptions = {},
): Promise<AwsServiceTestServer> {
  const server = await startAwsServiceTestServer({ idleTimeoutMs: 30_000, ...options });
  servers.push(server);
  return server;
}

/** The offset store's key for the server: what events carry as `host`. */
export const endpointOf = (server: AwsServiceTestServer) => `${server.host}:${server.port}`;

export type ServiceName = "DynamoDB" | "SQS" | "STS";

/** What the tests need of an SDK output or error. */
export interface MetadataBearer {
  $metadata: { attempts?: number; totalRetryDelay?: number; httpStatusCode?: number };
}

type AnyClient = DynamoDBClient | SQSClient | STSClient;

export interface ClientOptions {
  /** `false`: the bare SDK, without the plugin. */
  wrapped?: boolean;
  secret?: string;
  maxAttempts?: number;
}

export interface TestClient {
  client: AnyClient;
  events: SkewguardEvent[];
  offsets: OffsetStore;
  /** One typical call of this service: a write the first time, a read after. */
  call(i: number): Promise<MetadataBearer>;
}

/** A real SDK client on the server, with the plugin (a fresh offset store) unless bare. */
export function awsClient(
  service: ServiceName,
  server: AwsServiceTestServer,
  options: ClientOptions = {},
): TestClient {
  const config = {
    region: "us-east-1",
    endpoint: server.url,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: options.secret ?? SECRET },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
  const events: SkewguardEvent[] = [];
  const offsets = new OffsetStore();
  const { client, call } = build(service, config, server);
  if (options.wrapped !== false) {
    client.middlewareStack.use(
      getSkewRecoveryPlugin(client.config, {
        offsets,
        onEvent: (event) => events.push(event),
      }),
    );
  }
  return { client, events, offsets, call };
}

interface Config {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

function build(
  service: ServiceName,
  config: Config,
  server: AwsServiceTestServer,
): { client: AnyClient; call: (i: number) => Promise<MetadataBearer> } {
  if (service === "DynamoDB") {
    const client = new DynamoDBClient(config);
    return {
      client,
      call: (i) =>
        i % 2 === 1
          ? client.send(
              new PutItemCommand({
                TableName: "orders",
                Item: { id: { S: `o${i}` }, total: { N: String(i * 10) } },
              }),
            )
          : client.send(
              new GetItemCommand({ TableName: "orders", Key: { id: { S: `o${i - 1}` } } }),
            ),
    };
  }
  if (service === "SQS") {
    const client = new SQSClient(config);
    const QueueUrl = `${server.url}/000000000000/jobs`;
    return {
      client,
      call: (i) =>
        i % 2 === 1
          ? client.send(new SendMessageCommand({ QueueUrl, MessageBody: `job ${i}` }))
          : client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 })),
    };
  }
  const client = new STSClient(config);
  return { client, call: () => client.send(new GetCallerIdentityCommand({})) };
}

/** What one call came to, as the server counted it. */
export interface Outcome {
  attempts: number;
  ok: boolean;
  /** The error's name when it failed. */
  error?: string;
  /** The SDK's own attempts (`$metadata.attempts`) and backoff slept (`totalRetryDelay`). */
  sdkAttempts?: number;
  retryDelayMs?: number;
}

/** Runs one call and counts the requests the server received for it. */
export async function outcome(
  server: AwsServiceTestServer,
  fn: () => Promise<MetadataBearer>,
): Promise<Outcome> {
  const before = server.attempts;
  try {
    const output = await fn();
    return {
      attempts: server.attempts - before,
      ok: true,
      ...metadataOf(output.$metadata),
    };
  } catch (error) {
    const e = error as { name?: string; $metadata?: MetadataBearer["$metadata"] };
    return {
      attempts: server.attempts - before,
      ok: false,
      error: e.name ?? "Error",
      ...metadataOf(e.$metadata),
    };
  }
}

function metadataOf(metadata: MetadataBearer["$metadata"] | undefined) {
  return {
    ...(metadata?.attempts === undefined ? {} : { sdkAttempts: metadata.attempts }),
    ...(metadata?.totalRetryDelay === undefined ? {} : { retryDelayMs: metadata.totalRetryDelay }),
  };
}

/** `2 ok`, `1 InvalidSignatureException`, `2 ok (SDK retry, 40 ms backoff)`: for tables. */
export function describeOutcome(o: Outcome): string {
  const retried = (o.sdkAttempts ?? 1) > 1 ? ` (SDK retry, ${o.retryDelayMs ?? 0} ms backoff)` : "";
  return `${o.attempts} ${o.ok ? "ok" : o.error}${retried}`;
}

/** Whether `wrapped` is at least as good as `bare`: success where bare succeeds. */
export function atLeastAsGood(wrapped: Outcome, bare: Outcome): boolean {
  return wrapped.ok || !bare.ok;
}

/** A table for the test log: one row per case. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log([title, line(header), ...rows.map(line)].join("\n"));
}
