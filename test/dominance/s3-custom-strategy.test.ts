import { StandardRetryStrategy } from "@smithy/core/retry";
import { s3Matrix } from "./s3-rows.js";

// A strategy of the user's own: one attempt, whatever maxAttempts says.
s3Matrix("retryStrategy: new StandardRetryStrategy(1)", () => ({
  retryStrategy: new StandardRetryStrategy(1),
}));
