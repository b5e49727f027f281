// Shared helpers of the demo containers. Plain JavaScript with no dependencies: the demo images
// hold only a Node binary and these files (FROM scratch), and the process runner runs them as is.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** `--name=value` arguments, as MLCube passes them and the demo container configs spell them. */
export function parseArgs(argv) {
  const args = {};
  for (const a of argv) {
    const m = /^--([a-z_]+)=(.*)$/.exec(a);
    if (m) args[m[1]] = m[2];
  }
  return args;
}

export function required(args, name) {
  if (!args[name]) {
    process.stderr.write(`missing --${name}=PATH\n`);
    process.exit(2);
  }
  return args[name];
}

/** mulberry32: a small seeded PRNG, so every site's synthetic data is reproducible. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(rand) {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function readJsonl(path) {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

export function writeJsonl(path, rows) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

/** Reads the simple CSV the synthetic sites export (header row, no quoting). */
export function readCsv(path) {
  const [header, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const cols = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

export const FEATURES = ["opacity", "meniscus", "costophrenic", "density", "texture", "noise"];
export const sigmoid = (z) => 1 / (1 + Math.exp(-z));
