// Writes to /tmp (allowed), then outside its outputs: into the image's root file system, after
// saying whether an earlier run's file is still there.
import { existsSync, writeFileSync } from "node:fs";

console.log(`planted before: ${existsSync("/usr/local/bin/planted")}`);
writeFileSync("/tmp/scratch.txt", "fine");
console.log("wrote /tmp/scratch.txt");
writeFileSync("/usr/local/bin/planted", "persisted?");
console.log("wrote /usr/local/bin/planted");
