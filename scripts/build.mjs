// Bundles the CLI (and later the action) with esbuild. Run by `npm ci` through `prepare`.
import { build } from "esbuild";

await build({
  entryPoints: {
    cli: "cli/src/main.ts",
    "hash-worker": "cli/src/datasets/hash-worker.ts",
  },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
