// `npm run demo` (scripts/demo.sh builds the packages first): starts its own loopback servers
// and stops them at the end.
import { main } from "./main.mjs";

await main({ print: (line) => process.stdout.write(`${line}\n`) });
