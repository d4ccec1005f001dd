export { createOtelEventHandler } from "./handler.js";
export type { OtelBridgeOptions, OtelEventHandler } from "./handler.js";
export { subscribeOtel } from "./subscribe.js";
export { eventAttributes } from "./attributes.js";
export {
  ATTRIBUTES,
  INSTRUMENTATION_SCOPE,
  METRIC_NAMES,
  OFFSET_BUCKETS_MS,
} from "./constants.js";
