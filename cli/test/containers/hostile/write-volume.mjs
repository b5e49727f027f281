// Writes into the VOLUMEs its image declares: one inside its output mount, one elsewhere.
import { existsSync, writeFileSync } from "node:fs";

try {
  writeFileSync("/mnt/out/cache/kept", "hidden?");
} catch (err) {
  console.error(String(err)); // the same stream as the uncaught error below, so their order is kept
}
console.log(`planted before: ${existsSync("/var/cache/model/planted")}`);
writeFileSync("/var/cache/model/planted", "persisted?");
console.log("wrote /var/cache/model/planted");
