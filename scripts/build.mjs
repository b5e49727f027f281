// Bundles the CLI with esbuild. Run by `npm ci` through `prepare`, and by scripts/test.mjs.
//
// The action's bundle (action/dist/index.js) is committed, because the runner runs it from the
// repository as it is. So it is written only on request, never by an install or a test run:
//   node scripts/build.mjs --action        also rebuild action/dist/index.js
//   node scripts/build.mjs --check-action  exit 1 when action/dist/index.js differs from a fresh build
//
// Both bundles carry the schema validators compiled at build time: cli/src/validate/schema-validators.ts,
// which compiles them at runtime, is replaced by the module its standaloneValidatorsModule() writes.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { tsImport } from "tsx/esm/api";

const validatorsPath = fileURLToPath(new URL("../cli/src/validate/schema-validators.ts", import.meta.url));
const { standaloneValidatorsModule } = await tsImport(validatorsPath, import.meta.url);
const validatorsModule = standaloneValidatorsModule();

/** Resolves the runtime-compiling validators module to the precompiled one. */
const precompiledValidators = {
  name: "precompiled-validators",
  setup(b) {
    b.onResolve({ filter: /\/schema-validators\.ts$/ }, () => ({
      // `.mjs`: esbuild then imports CommonJS modules as Node does (default = module.exports).
      path: "schema-validators.mjs",
      namespace: "precompiled-validators",
    }));
    b.onLoad({ filter: /.*/, namespace: "precompiled-validators" }, () => ({
      contents: validatorsModule,
      resolveDir: fileURLToPath(new URL("../cli/src/validate/", import.meta.url)),
      loader: "js",
    }));
  },
};

/** One self-contained ESM file: every dependency inlined, `require` provided for bundled CommonJS. */
const actionOptions = {
  entryPoints: ["action/src/index.ts"],
  outfile: "action/dist/index.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [precompiledValidators],
  // dockerode's ssh2 loads optional native addons inside try/catch; left out, it uses plain JavaScript
  external: ["*.node"],
  banner: {
    // `require`, `__filename` and `__dirname` for bundled CommonJS (ssh2 reads __dirname when loaded)
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      "const require = __createRequire(import.meta.url);",
      "const __filename = __fileURLToPath(import.meta.url);",
      'const __dirname = __fileURLToPath(new URL(".", import.meta.url));',
    ].join("\n"),
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
    plugins: [precompiledValidators],
    logLevel: "warning",
  });
  if (process.argv.includes("--action")) await build(actionOptions);
}
