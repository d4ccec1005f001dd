// `node examples/production-logging/index.mjs` (after `pnpm build`): skewguard's events into
// pino and OpenTelemetry, with planted secrets that never come out.
import { runProductionLogging } from "./main.mjs";

await runProductionLogging();
