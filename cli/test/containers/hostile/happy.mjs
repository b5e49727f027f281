// A well-behaved task: reads its input file, writes a result file and a file into its output directory.
// Usage: happy.mjs --data_path=<dir> --output_path=<file> --report_path=<dir>
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const text = readFileSync(join(args.data_path, "data.txt"), "utf8");
writeFileSync(args.output_path, `words: ${text.trim().split(/\s+/).length}\n`);
writeFileSync(join(args.report_path, "report.txt"), text.toUpperCase());
console.log("read", text.length, "bytes");
console.error("a line on stderr");
