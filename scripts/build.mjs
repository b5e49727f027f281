// Bundles the CLI with esbuild into dist/ (options: scripts/build-options.ts). Run by `npm ci`
// through `prepare`, and by scripts/test.mjs.
//
// The action's bundle (action/dist/index.js) is committed, because the runner runs it from the
// repository as it is. So it is written only on request, never by an install or a test run:
//   node scripts/build.mjs --action        also rebuild action/dist/index.js
//   node scripts/build.mjs --check-action  exit 1 when action/dist/index.js differs from a fresh build
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";
import { tsImport } from "tsx/esm/api";

const { actionBuildOptions, cliBuildOptions } = await tsImport("./build-options.ts", import.meta.url);
const action = actionBuildOptions();

if (process.argv.includes("--check-action")) {
  const { outputFiles } = await build({ ...action, write: false });
  const fresh = outputFiles[0].text;
  let committed = "";
  try {
    committed = readFileSync(action.outfile, "utf8");
  } catch {}
  if (fresh !== committed) {
    console.error(
      `${action.outfile} is out of date with action/src and cli/src: run \`node scripts/build.mjs --action\` and commit it`,
    );
    process.exit(1);
  }
  console.log(`${action.outfile} is up to date`);
} else {
  // chunk names change with their contents: old ones would pile up
  const outdir = new URL("../dist/", import.meta.url).pathname;
  rmSync(outdir, { recursive: true, force: true });
  await build(cliBuildOptions({ outdir, sourcemap: true }));
  if (process.argv.includes("--action")) await build(action);
}
