export { run, VERSION } from "./run.js";
export { EXIT, UsageError } from "./usage-error.js";
export type { ExitCode } from "./usage-error.js";
export type { CliIo, InputStream, OutputStream } from "./io.js";
export { measureOffset } from "./measure.js";
export type { Attempt, Measurement, MeasureOptions } from "./measure.js";
