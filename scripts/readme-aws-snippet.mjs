// The @skewguard/aws README's "Use" block, as written, run from the fresh project that installed
// the packed packages (argv[2]) against two testkit endpoints, DynamoDB's and STS's, whose clocks
// are 20 minutes behind this machine's. Only the environment points the README's clients at
// them (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_STS` and the key pair, as for any
// endpoint the SDK is configured with). Prints what the servers counted; throws if anything a
// user would notice is wrong.
import { DEFAULT_CREDENTIALS, startAwsServiceTestServer } from "../packages/testkit/dist/index.js";
import { expectAll, readmeProgram, runUserCode } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const skewed = { clockOffsetMs: -20 * 60_000, region: "eu-west-1" };
const dynamodb = await startAwsServiceTestServer(skewed);
const sts = await startAwsServiceTestServer(skewed);
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];

const userCode = readmeProgram("readme-aws-snippet.mjs", {
  epilogue: `
console.log(JSON.stringify({
  item: Item?.id?.S,
  account: identity.Account,
  putAttempts: (await dynamo.send(new PutItemCommand({ TableName: "orders", Item: { id: { S: "order-2" } } }))).$metadata.attempts,
  events: $run.events,
}));
`,
});

try {
  const out = await runUserCode(project, "readme-aws.mjs", userCode, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  const statuses = (server) => server.log.map((entry) => `${entry.operation} ${entry.status}`);
  const dynamoLog = statuses(dynamodb).join(", ");
  const stsLog = statuses(sts).join(", ");
  expectAll("aws snippet", {
    [`DynamoDB: PutItem refused once and resent at once, then GetItem and PutItem (got ${dynamoLog})`]:
      dynamoLog === "PutItem 400, PutItem 200, GetItem 200, PutItem 200",
    [`STS: refused once and resent (got ${stsLog})`]:
      stsLog === "GetCallerIdentity 403, GetCallerIdentity 200",
    [`the item and the account came back (got ${out.item}, ${out.account})`]:
      out.item === "order-1" && out.account === "000000000000",
    [`a later PutItem took 1 SDK attempt (got ${out.putAttempts})`]: out.putAttempts === 1,
    "recovered twice": out.events.filter((type) => type === "request.recovered").length === 2,
  });
  console.log(
    `${dynamodb.attempts + sts.attempts} requests at the servers (DynamoDB ${dynamoLog}; STS ${stsLog}), each first call resent at once; events ${out.events.join(",")}`,
  );
} finally {
  await Promise.all([dynamodb.close(), sts.close()]);
}
