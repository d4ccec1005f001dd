// `node index.mjs` (after `pnpm build`): starts its own loopback server and stops it at the end.
import { main } from "./main.mjs";

await main({ print: console.log });
