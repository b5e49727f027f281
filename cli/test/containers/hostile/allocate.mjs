// Allocates memory without bound (outside the JavaScript heap, so only the memory limit stops it).
const kept = [];
for (;;) {
  kept.push(Buffer.alloc(2 ** 20, 1));
  if (kept.length % 4 === 0) console.log(`${kept.length} MiB`);
}
