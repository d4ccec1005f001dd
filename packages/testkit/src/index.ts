export { DEFAULT_CREDENTIALS, startS3TestServer } from "./s3-server.js";
export type {
  ClockStep,
  S3RequestLogEntry,
  S3TestServer,
  S3TestServerOptions,
} from "./s3-server.js";
export { S3_MIN_PART_BYTES } from "./s3-multipart.js";
export { S3_HUGE_ERROR_BODY_BYTES } from "./s3-faults.js";
export type { S3Fault } from "./s3-faults.js";
export { DEFAULT_CORS_EXPOSE_HEADERS } from "./s3-cors.js";
export type { S3CorsOptions } from "./s3-cors.js";
export type { SkewErrorStyle } from "./s3-auth.js";
export type { ServerFlavor } from "./s3-errors.js";
export { DATE_HEADER_MODES } from "./server-clock.js";
export type { DateHeaderMode } from "./server-clock.js";
export { startGcsTestServer } from "./gcs-server.js";
export type {
  GcsGrantRecord,
  GcsRequestCounts,
  GcsUploadRecord,
  GcsTestServer,
  GcsTestServerOptions,
} from "./gcs-server.js";
export type { GcsEndpoint, GcsFault, GcsFaults } from "./gcs-faults.js";
export { generateTestPrivateKey, publicKeysOf, testServiceAccount } from "./gcs-service-account.js";
export type { GcsTestAccount, ServiceAccountKey } from "./gcs-service-account.js";
export {
  redirectGoogleStorageRequests,
  redirectGoogleTokenRequests,
} from "./gcs-token-redirect.js";
export { RESUMABLE_CHUNK_GRANULARITY } from "./gcs-resumable.js";
export {
  INVALID_JWT_SIGNATURE,
  INVALID_JWT_TIME,
  TOKEN_IAT_ALLOWANCE_MS,
} from "./gcs-token-grant.js";
export { GCS_SIGNED_URL_FUTURE_ALLOWANCE_MS } from "./gcs-v4-verifier.js";
export { startAzureTestServer } from "./azure-server.js";
export type { AzureTestServer, AzureTestServerOptions } from "./azure-server.js";
export { startAzureSkewProxy } from "./azure-skew-proxy.js";
export type {
  AzureProxyLogEntry,
  AzureSkewProxy,
  AzureSkewProxyOptions,
} from "./azure-skew-proxy.js";
export { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, startAzurite } from "./azure-azurite.js";
export type { Azurite, AzuriteOptions } from "./azure-azurite.js";
export { startAzuriteProcess } from "./azure-azurite-process.js";
export type { AzuriteProcess, AzuriteProcessOptions } from "./azure-azurite-process.js";
export { faketimeEnv, findLibfaketime } from "./libfaketime.js";
export { HUGE_ERROR_BODY_BYTES } from "./azure-proxy-faults.js";
export type { AzureProxyFaults } from "./azure-proxy-faults.js";
export { authenticationFailed, azureError, azureTime } from "./azure-errors.js";
export type { AzureErrorResponse, AzureErrorShape } from "./azure-errors.js";
export { startAwsServiceTestServer } from "./aws-service-server.js";
export type {
  AwsServiceLogEntry,
  AwsServiceTestServer,
  AwsServiceTestServerOptions,
} from "./aws-service-server.js";
export type { AwsProtocol, QueryTimeError } from "./aws-service-errors.js";
export { TEST_ACCOUNT_ID } from "./aws-service-operations.js";
export type { DynamoItem } from "./aws-service-operations.js";
