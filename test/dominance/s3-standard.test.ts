import { s3Matrix } from "./s3-rows.js";

// The SDK's defaults: standard retry mode, 3 attempts.
s3Matrix("maxAttempts 3 (standard)", () => ({ maxAttempts: 3 }));
