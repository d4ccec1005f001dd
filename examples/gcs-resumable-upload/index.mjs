// `pnpm build`, then `node examples/gcs-resumable-upload/index.mjs` (or `pnpm start` in this folder).
import { main } from "./main.mjs";

await main({ print: console.log });
