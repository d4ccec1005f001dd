import { createHash, randomUUID } from "node:crypto";
import {
  type AwsProtocol,
  type AwsServiceAnswer,
  type AwsServiceError,
  contentTypeOf,
  escapeXml,
} from "./aws-service-errors.js";

/**
 * The few operations the generic AWS endpoint answers with success, enough for clients to be
 * exercised end to end: DynamoDB `ListTables`, `PutItem`, `GetItem`, `DeleteItem`; SQS
 * `CreateQueue`, `GetQueueUrl`, `ListQueues`, `SendMessage`, `ReceiveMessage`; STS
 * `GetCallerIdentity`. Anything else is refused after authentication, as the services do
 * (`UnknownOperationException`, `InvalidAction`).
 */

/** A DynamoDB item as the wire carries it: attribute name to typed value (`{ S: "x" }`). */
export type DynamoItem = Record<string, Record<string, unknown>>;

export interface AwsServiceStores {
  /** DynamoDB: table name to items (any table exists; its key attributes: `dynamoKeys`). */
  readonly tables: Map<string, DynamoItem[]>;
  /** SQS: queue name to the bodies of the messages waiting in it. */
  readonly queues: Map<string, string[]>;
}

export interface OperationContext {
  /** The endpoint's URL, for queue URLs. */
  url: string;
  /** Table name to key attribute names; absent tables use `["id"]`. */
  dynamoKeys: Readonly<Record<string, readonly string[]>>;
  accessKeyId: string;
  requestId: string;
}

/** Where a request goes: the service, its protocol, and the operation it names. */
export interface AwsTarget {
  /** The signing name the service expects in the credential scope; undefined accepts any. */
  service?: string;
  protocol: AwsProtocol;
  operation: string;
  /** awsJson1_0 with the Query-compatible error header (SQS). */
  queryCompatible?: boolean;
}

/** The account every answer names. */
export const TEST_ACCOUNT_ID = "000000000000";

const JSON_SERVICES: Readonly<Record<string, { service: string; queryCompatible?: boolean }>> = {
  DynamoDB_20120810: { service: "dynamodb" },
  AmazonSQS: { service: "sqs", queryCompatible: true },
};

const QUERY_VERSIONS: Readonly<Record<string, string>> = { "2011-06-15": "sts" };

/**
 * The target of a request: `X-Amz-Target` (`DynamoDB_20120810.GetItem`) for the JSON protocols
 * (1.0 or 1.1 by content type), the `Action` and `Version` of a form body for awsQuery.
 */
export function targetOf(
  headers: (name: string) => string | undefined,
  body: Buffer,
): AwsTarget | undefined {
  const amzTarget = headers("x-amz-target");
  const contentType = headers("content-type") ?? "";
  if (amzTarget !== undefined) {
    const dot = amzTarget.lastIndexOf(".");
    const prefix = dot < 0 ? amzTarget : amzTarget.slice(0, dot);
    const known = JSON_SERVICES[prefix];
    const protocol = contentType.includes("1.1") ? "awsJson1_1" : "awsJson1_0";
    return {
      protocol,
      operation: dot < 0 ? "" : amzTarget.slice(dot + 1),
      ...(known ? { service: known.service } : {}),
      ...(known?.queryCompatible ? { queryCompatible: true } : {}),
    };
  }
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const form = new URLSearchParams(body.toString("utf8"));
    const service = QUERY_VERSIONS[form.get("Version") ?? ""];
    return {
      protocol: "awsQuery",
      operation: form.get("Action") ?? "",
      ...(service ? { service } : {}),
    };
  }
  return undefined;
}

export type OperationResult =
  | { ok: true; answer: AwsServiceAnswer }
  | { ok: false; error: AwsServiceError };

/** Runs an authenticated request. */
export function runAwsOperation(
  target: AwsTarget,
  body: Buffer,
  stores: AwsServiceStores,
  context: OperationContext,
): OperationResult {
  if (target.protocol === "awsQuery") return runQuery(target, context);
  let input: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8") || "{}");
    input =
      typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return fail(
      400,
      "SerializationException",
      "Start of structure or map found where not expected.",
    );
  }
  const output =
    target.service === "dynamodb"
      ? dynamo(target.operation, input, stores, context)
      : target.service === "sqs"
        ? sqs(target.operation, input, stores, context)
        : undefined;
  if (output === undefined) {
    return fail(400, "UnknownOperationException", `Unknown operation ${target.operation}`);
  }
  if ("error" in output) return { ok: false, error: output.error };
  return {
    ok: true,
    answer: {
      status: 200,
      headers: [["Content-Type", contentTypeOf(target.protocol)]],
      body: JSON.stringify(output.value),
    },
  };
}

type Output = { value: Record<string, unknown> } | { error: AwsServiceError };

function dynamo(
  operation: string,
  input: Record<string, unknown>,
  stores: AwsServiceStores,
  context: OperationContext,
): Output | undefined {
  if (operation === "ListTables") {
    return { value: { TableNames: [...stores.tables.keys()].sort() } };
  }
  const table = typeof input["TableName"] === "string" ? input["TableName"] : undefined;
  if (table === undefined) {
    return failed(400, "ValidationException", "1 validation error detected: TableName");
  }
  const keys = context.dynamoKeys[table] ?? ["id"];
  const items = stores.tables.get(table) ?? [];
  const sameKey = (a: DynamoItem, b: DynamoItem) =>
    keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
  if (operation === "PutItem" || operation === "GetItem" || operation === "DeleteItem") {
    const given = (operation === "PutItem" ? input["Item"] : input["Key"]) as DynamoItem;
    if (typeof given !== "object" || given === null || keys.some((k) => given[k] === undefined)) {
      return failed(400, "ValidationException", "One of the required keys was not given a value");
    }
    const index = items.findIndex((item) => sameKey(item, given));
    if (operation === "GetItem") return { value: index < 0 ? {} : { Item: items[index] } };
    if (index >= 0) items.splice(index, 1);
    if (operation === "PutItem") items.push(given);
    stores.tables.set(table, items);
    return { value: {} };
  }
  return undefined;
}

function sqs(
  operation: string,
  input: Record<string, unknown>,
  stores: AwsServiceStores,
  context: OperationContext,
): Output | undefined {
  const queueUrl = (name: string) => `${context.url}/${TEST_ACCOUNT_ID}/${name}`;
  if (operation === "ListQueues") {
    return { value: { QueueUrls: [...stores.queues.keys()].sort().map(queueUrl) } };
  }
  if (operation === "CreateQueue" || operation === "GetQueueUrl") {
    const name = input["QueueName"];
    if (typeof name !== "string" || !/^[\w-]{1,80}(\.fifo)?$/.test(name)) {
      return failed(
        400,
        "InvalidParameterValue",
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
      );
    }
    // Any queue exists: GetQueueUrl creates it too.
    if (!stores.queues.has(name)) stores.queues.set(name, []);
    return { value: { QueueUrl: queueUrl(name) } };
  }
  const url = input["QueueUrl"];
  const name = typeof url === "string" ? url.split("/").pop() : undefined;
  if (name === undefined || name === "") {
    return failed(400, "InvalidAddress", "The address is not valid for this endpoint.");
  }
  const queue = stores.queues.get(name) ?? [];
  stores.queues.set(name, queue);
  if (operation === "SendMessage") {
    const body = input["MessageBody"];
    if (typeof body !== "string" || body === "") {
      return failed(400, "MissingParameter", "The request must contain the parameter MessageBody.");
    }
    queue.push(body);
    // The SDK checks this digest of the body it sent.
    return { value: { MessageId: randomUUID(), MD5OfMessageBody: md5(body) } };
  }
  if (operation === "ReceiveMessage") {
    const max = typeof input["MaxNumberOfMessages"] === "number" ? input["MaxNumberOfMessages"] : 1;
    const taken = queue.splice(0, Math.max(1, Math.min(10, max)));
    return {
      value:
        taken.length === 0
          ? {}
          : {
              Messages: taken.map((body) => ({
                MessageId: randomUUID(),
                ReceiptHandle: randomUUID(),
                MD5OfBody: md5(body),
                Body: body,
              })),
            },
    };
  }
  return undefined;
}

function runQuery(target: AwsTarget, context: OperationContext): OperationResult {
  if (target.service === "sts" && target.operation === "GetCallerIdentity") {
    const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::${TEST_ACCOUNT_ID}:user/testkit</Arn>
    <UserId>${escapeXml(context.accessKeyId)}</UserId>
    <Account>${TEST_ACCOUNT_ID}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${context.requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;
    return { ok: true, answer: { status: 200, headers: [["Content-Type", "text/xml"]], body } };
  }
  return fail(
    400,
    "InvalidAction",
    `Could not find operation ${target.operation} for version ${target.service ?? "unknown"}`,
  );
}

function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

function failed(status: number, code: string, message: string): Output {
  return { error: { status, code, message } };
}

function fail(status: number, code: string, message: string): OperationResult {
  return { ok: false, error: { status, code, message } };
}
