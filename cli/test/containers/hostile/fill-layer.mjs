// Fills its own writable root file system with 1 MiB files, one every 20 ms, until stopped.
import { mkdirSync, writeFileSync } from "node:fs";

mkdirSync("/var/fill", { recursive: true });
const block = Buffer.alloc(2 ** 20, 1);
let i = 0;
setInterval(() => {
  writeFileSync(`/var/fill/${i++}.bin`, block);
  if (i % 10 === 0) console.log(`${i} MiB written`);
}, 20);
