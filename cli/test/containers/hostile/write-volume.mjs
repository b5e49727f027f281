// Writes into the VOLUMEs its image declares: one inside its output mount, one elsewhere.
import { writeFileSync } from "node:fs";

try {
  writeFileSync("/mnt/out/cache/kept", "hidden?");
} catch (err) {
  console.log(String(err));
}
writeFileSync("/var/cache/model/planted", "persisted?");
