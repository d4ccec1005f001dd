// What the engine needs only once an attempt has failed: the body parsers, the decision and
// the diagnosis with its catalogue. `recovery.ts` loads this module on the first failure
// (`import()`), so a page whose requests succeed never downloads it: a bundler splits it into
// a chunk of its own, and the core + AWS plugin a page loads up front stays small.
export { classifyClockVerdict, isPresignedExpiry } from "./constants.js";
export { decide } from "./decide.js";
export { diagnose } from "./diagnose.js";
export { readEvidence } from "./evidence.js";
export { readSdkError } from "./sdk-error.js";
