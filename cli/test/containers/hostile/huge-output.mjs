// Writes output without bound: one ever-growing file, or (with "many") ever more 1 MiB files.
import { openSync, writeFileSync, writeSync } from "node:fs";

const chunk = Buffer.alloc(2 ** 20, 7);
if (process.argv[2] === "many") {
  for (let i = 0; ; i++) writeFileSync(`/mnt/out/part-${i}.bin`, chunk);
} else {
  const fd = openSync("/mnt/out/huge.bin", "w");
  for (;;) writeSync(fd, chunk);
}
