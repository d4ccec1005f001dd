import { s3Matrix } from "./s3-rows.js";

s3Matrix("adaptive", () => ({ retryMode: "adaptive" }));
