// `npm run demo`: what skewguard does, on realistic inputs. Later parts run live against
// the testkit's skewed loopback servers when they are available.
import { learnOffset } from "./core.mjs";
import { diagnoseCases } from "./diagnoses.mjs";

const print = (line) => process.stdout.write(`${line}\n`);

print("== 1. Learning a server's clock from Date headers (HTP interval intersection) ==");
learnOffset(print);
print("\n== 2. Naming the cause of real-shaped signature failures ==");
diagnoseCases(print);
