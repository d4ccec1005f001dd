// The @skewguard/aws README's snippet, run from a fresh project that installed the packed
// packages (argv[2]) against testkit endpoints for DynamoDB and STS whose clocks are 20 minutes
// behind this machine's. Prints what the servers counted; throws if skewguard did not recover.
import { DEFAULT_CREDENTIALS, startAwsServiceTestServer } from "../packages/testkit/dist/index.js";
import { expectAll, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const dynamodb = await startAwsServiceTestServer({ clockOffsetMs: -20 * 60_000 });
const sts = await startAwsServiceTestServer({ clockOffsetMs: -20 * 60_000 });
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];

const userCode = `
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { diagnosisOf, getSkewRecoveryPlugin } from "@skewguard/aws";

const credentials = { accessKeyId: ${JSON.stringify(accessKeyId)}, secretAccessKey: ${JSON.stringify(secretAccessKey)} };
const events = [];
const onEvent = (e) => events.push(e.type);
const dynamo = new DynamoDBClient({ region: "us-east-1", endpoint: process.env.DYNAMODB_URL, credentials });
dynamo.middlewareStack.use(getSkewRecoveryPlugin(dynamo.config, { onEvent }));
const sts = new STSClient({ region: "us-east-1", endpoint: process.env.STS_URL, credentials });
sts.middlewareStack.use(getSkewRecoveryPlugin(sts.config, { onEvent }));

await dynamo.send(new PutItemCommand({ TableName: "orders", Item: { id: { S: "order-1" } } }));
const { Item } = await dynamo.send(
  new GetItemCommand({ TableName: "orders", Key: { id: { S: "order-1" } } }),
);
const { Account } = await sts.send(new GetCallerIdentityCommand({}));
console.log(JSON.stringify({ item: Item?.id?.S, account: Account, diagnosisOf: typeof diagnosisOf, events }));
`;
try {
  const out = await runUserCode(project, "readme-aws.mjs", userCode, {
    DYNAMODB_URL: dynamodb.url,
    STS_URL: sts.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  const statuses = (server) => server.log.map((entry) => `${entry.operation} ${entry.status}`);
  const dynamoLog = statuses(dynamodb).join(", ");
  const stsLog = statuses(sts).join(", ");
  expectAll("aws snippet", {
    [`DynamoDB: PutItem refused once and resent at once, then GetItem (got ${dynamoLog})`]:
      dynamoLog === "PutItem 400, PutItem 200, GetItem 200",
    [`STS: refused once and resent (got ${stsLog})`]:
      stsLog === "GetCallerIdentity 403, GetCallerIdentity 200",
    [`the item and the account came back (got ${out.item}, ${out.account})`]:
      out.item === "order-1" && out.account === "000000000000",
    "diagnosisOf is exported": out.diagnosisOf === "function",
    "recovered twice": out.events.filter((type) => type === "request.recovered").length === 2,
  });
  console.log(
    `${dynamodb.attempts + sts.attempts} requests at the servers for 3 calls (DynamoDB ${dynamoLog}; STS ${stsLog}), events ${out.events.join(",")}`,
  );
} finally {
  await Promise.all([dynamodb.close(), sts.close()]);
}
