import { s3Matrix } from "./s3-rows.js";

s3Matrix("maxAttempts 1", () => ({ maxAttempts: 1 }));
