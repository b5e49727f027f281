// Bundles the CLI with esbuild. Run by `npm ci` through `prepare`, and by scripts/test.mjs.
//
// The action's bundle (action/dist/index.js) is committed, because the runner runs it from the
// repository as it is. So it is written only on request, never by an install or a test run:
//   node scripts/build.mjs --action        also rebuild action/dist/index.js
//   node scripts/build.mjs --check-action  exit 1 when action/dist/index.js differs from a fresh build
import { readFileSync } from "node:fs";
import { build } from "esbuild";

/** One self-contained ESM file: every dependency inlined, `require` provided for bundled CommonJS. */
const actionOptions = {
  entryPoints: ["action/src/index.ts"],
  outfile: "action/dist/index.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
};

if (process.argv.includes("--check-action")) {
  const { outputFiles } = await build({ ...actionOptions, write: false });
  const fresh = outputFiles[0].text;
  let committed = "";
  try {
    committed = readFileSync(actionOptions.outfile, "utf8");
  } catch {}
  if (fresh !== committed) {
    console.error(
      `${actionOptions.outfile} is out of date with action/src and cli/src: run \`node scripts/build.mjs --action\` and commit it`,
    );
    process.exit(1);
  }
  console.log(`${actionOptions.outfile} is up to date`);
} else {
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
  if (process.argv.includes("--action")) await build(actionOptions);
}
