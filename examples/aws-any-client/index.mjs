// `node index.mjs` (after `npm run demo` or `pnpm build`): starts its own loopback servers and
// stops them at the end.
import { main } from "./main.mjs";

await main({ print: console.log });
