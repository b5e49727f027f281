/**
 * esbuild options of fedeval's two bundles, shared by scripts/build.mjs and the tests and
 * benchmarks that build a bundle of their own (so they measure and test what ships).
 *
 * - The CLI (dist/): every dependency inlined, split into chunks per command, so a command
 *   loads only what it uses and Node resolves no package, at start-up or later: an installed
 *   fedeval has no node_modules. The schema validators are the ones compiled at build time
 *   (cli/src/formats/schema-validators.ts is swapped for the module standaloneValidatorsModule()
 *   writes).
 * - The action (action/dist/index.js, committed): one self-contained file, because the runner
 *   runs it from the repository without node_modules.
 * - Both: parts of dockerode that fedeval never uses (UNUSED_MODULES) are replaced by stand-ins,
 *   so the bundles are the same whichever optional packages npm installed.
 */
import { fileURLToPath } from "node:url";
import type { BuildOptions, Plugin } from "esbuild";
import { standaloneValidatorsModule } from "../cli/src/formats/schema-validators.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** Resolves the runtime-compiling validators module to the precompiled one. */
function precompiledValidators(): Plugin {
  let contents: string | undefined;
  return {
    name: "precompiled-validators",
    setup(b) {
      b.onResolve({ filter: /\/schema-validators\.ts$/ }, () => ({
        // `.mjs`: esbuild then imports CommonJS modules as Node does (default = module.exports).
        path: "schema-validators.mjs",
        namespace: "precompiled-validators",
      }));
      b.onLoad({ filter: /.*/, namespace: "precompiled-validators" }, () => {
        contents ??= standaloneValidatorsModule();
        return { contents, resolveDir: `${repo}cli/src/formats/`, loader: "js" };
      });
    },
  };
}

/**
 * A module dockerode requires that fedeval never calls into: both bundles get a stand-in for it
 * that throws a one-line error if it is ever called.
 */
interface UnusedModule {
  /** The module that requires it. */
  importer: RegExp;
  specifier: string;
  /** The functions of the module that its importer calls (none: it calls the module itself). */
  calls: string[];
  /**
   * UserError: reached through a setting fedeval does not support. Error: reached only by a call
   * fedeval never makes, so a bug in fedeval.
   */
  error: "UserError" | "Error";
  message: string;
}

/**
 * Left in, these would bring ssh2 (whose optional native add-on, cpu-features, made the action's
 * bundle depend on whether npm had installed it), gRPC and protobufjs (which read .proto files
 * from node_modules) and ~0.1 s of loading to every `fedeval run`; and an installed fedeval has no
 * node_modules to load them from. fedeval talks to the engine over its socket or TCP, imports its
 * images (cli/src/containers/node-image.ts) and pulls them, and never builds one.
 */
const UNUSED_MODULES: UnusedModule[] = [
  // ssh2, for DOCKER_HOST=ssh://
  {
    importer: /docker-modem\/lib\/modem\.js$/,
    specifier: "./ssh",
    calls: [],
    error: "UserError",
    message:
      "fedeval does not support ssh:// Docker hosts; forward the engine's socket instead (ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock <host>) and set DOCKER_HOST=unix:///tmp/docker.sock",
  },
  // @grpc/grpc-js and @grpc/proto-loader, for BuildKit sessions of buildImage
  {
    importer: /dockerode\/lib\/docker\.js$/,
    specifier: "./session",
    calls: [],
    error: "Error",
    message: "fedeval's bundle leaves out dockerode's BuildKit sessions (buildImage with version 2)",
  },
  // protobufjs, for docker.followProgress (BuildKit progress); fedeval uses docker.modem.followProgress
  {
    importer: /dockerode\/lib\/docker\.js$/,
    specifier: "./buildkit",
    calls: ["followProgress"],
    error: "Error",
    message: "fedeval's bundle leaves out dockerode's BuildKit progress (docker.followProgress)",
  },
  // tar-fs, for the build contexts of buildImage
  {
    importer: /dockerode\/lib\/util\.js$/,
    specifier: "tar-fs",
    calls: ["pack"],
    error: "Error",
    message: "fedeval's bundle leaves out dockerode's build contexts (buildImage with a context folder)",
  },
];

function unusedModules(): Plugin {
  return {
    name: "unused-modules",
    setup(b) {
      b.onResolve({ filter: /^(\.\/(ssh|session|buildkit)|tar-fs)$/ }, (args) => {
        const i = UNUSED_MODULES.findIndex(
          (m) => m.specifier === args.path && m.importer.test(args.importer.replaceAll("\\", "/")),
        );
        return i < 0 ? undefined : { path: String(i), namespace: "unused-module" };
      });
      b.onLoad({ filter: /.*/, namespace: "unused-module" }, (args) => {
        const { calls, error, message } = UNUSED_MODULES[Number(args.path)] as UnusedModule;
        const lines = [
          ...(error === "UserError" ? ['const { UserError } = require("./errors.ts");'] : []),
          `function unused() { throw new ${error}(${JSON.stringify(message)}); }`,
          `module.exports = Object.assign(unused, { ${calls.map((c) => `${c}: unused`).join(", ")} });`,
        ];
        return {
          contents: `${lines.join("\n")}\n`,
          resolveDir: `${repo}cli/src/base/`,
          loader: "js",
        };
      });
    },
  };
}

/** `require`, `__filename` and `__dirname` for bundled CommonJS. */
const COMMONJS_BANNER = [
  'import { createRequire as __createRequire } from "node:module";',
  'import { fileURLToPath as __fileURLToPath } from "node:url";',
  "const require = __createRequire(import.meta.url);",
  "const __filename = __fileURLToPath(import.meta.url);",
  'const __dirname = __fileURLToPath(new URL(".", import.meta.url));',
].join("\n");

const COMMON: BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  banner: { js: COMMONJS_BANNER },
  logLevel: "warning",
  // paths in the bundle as the repository names them, so a node_modules that is a symlink (a git
  // worktree sharing another checkout's) builds the same bundle as a real one
  preserveSymlinks: true,
};

/**
 * The CLI's options: entry points `cli` (cli/src/main.ts) and `hash-worker` unless others are
 * given (a worker must sit next to the chunks as dist/hash-worker.js).
 */
export function cliBuildOptions(options: {
  outdir: string;
  entryPoints?: Record<string, string>;
  sourcemap?: boolean;
}): BuildOptions {
  return {
    ...COMMON,
    entryPoints: options.entryPoints ?? {
      cli: `${repo}cli/src/main.ts`,
      "hash-worker": `${repo}cli/src/site/hash-worker.ts`,
    },
    outdir: options.outdir,
    splitting: true,
    sourcemap: options.sourcemap ?? false,
    plugins: [precompiledValidators(), unusedModules()],
  };
}

export function actionBuildOptions(): BuildOptions {
  return {
    ...COMMON,
    entryPoints: [`${repo}action/src/index.ts`],
    outfile: `${repo}action/dist/index.js`,
    plugins: [precompiledValidators(), unusedModules()],
  };
}
