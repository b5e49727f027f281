// Writes to /tmp (allowed), then outside its outputs: into the image's root file system.
import { writeFileSync } from "node:fs";

writeFileSync("/tmp/scratch.txt", "fine");
console.log("wrote /tmp/scratch.txt");
writeFileSync("/usr/local/bin/planted", "persisted?");
