// What an adapter needs to run requests through the engine, and nothing else: the AWS adapters
// import only this, so a page's bundler sees no static path from them to the diagnosis, its
// catalogue or the body parsers, and leaves those to the chunk the engine loads on the first
// failure (`failure-path.ts`). Not part of the documented API: names here may change in any
// minor release, as in `./adapter`.
export { SkewRecovery } from "./recovery.js";
export type { SigningTarget } from "./recovery.js";
export type { AttemptReport, RecoveryOutcome } from "./attempt.js";
export { SkewguardError, isSkewguardError } from "./errors.js";
export { diagnosisOf } from "./diagnosis-of.js";
export { endpointKey } from "./endpoint.js";
export { parseAmzDate } from "./iso-time.js";
export { teeStreamBody } from "./stream-body.js";
export type { StreamBodyOptions } from "./stream-body.js";
export { ReplayBudget } from "./replay-budget.js";
