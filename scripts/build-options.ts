/**
 * esbuild options of fedeval's two bundles, shared by scripts/build.mjs and the tests and
 * benchmarks that build a bundle of their own (so they measure and test what ships).
 *
 * - The CLI (dist/): every dependency inlined, split into chunks per command, so a command
 *   loads only what it uses and Node resolves no package at start-up. Parts of dockerode that
 *   fedeval never uses at a site (ssh2 for ssh:// engines, gRPC and protobufjs for BuildKit
 *   sessions, tar-fs for build contexts) are left in node_modules and loaded on first use:
 *   bundled, they would cost every `fedeval run` ~0.1 s of loading. The schema validators are
 *   the ones compiled at build time (cli/src/formats/schema-validators.ts is swapped for the
 *   module standaloneValidatorsModule() writes).
 * - The action (action/dist/index.js, committed): one self-contained file, because the runner
 *   runs it from the repository without node_modules.
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
 * Modules required by dockerode that fedeval's site commands never call into, keyed by the
 * specifier and the package that requires them; each is replaced by a stand-in that requires the
 * real module from node_modules (resolved from that package) the first time it is used.
 * Each is required once at the top of its importer and only used inside functions.
 */
const LAZY_MODULES: { importer: RegExp; specifier: string; real: string; from: string }[] = [
  // ssh2 (with its crypto and native add-ons), for DOCKER_HOST=ssh://
  {
    importer: /docker-modem\/lib\/modem\.js$/,
    specifier: "./ssh",
    real: "docker-modem/lib/ssh.js",
    from: ".",
  },
  // @grpc/grpc-js and @grpc/proto-loader, for BuildKit sessions (which read .proto files next to them)
  {
    importer: /dockerode\/lib\/docker\.js$/,
    specifier: "./session",
    real: "dockerode/lib/session.js",
    from: ".",
  },
  // protobufjs, for BuildKit progress
  {
    importer: /dockerode\/lib\/docker\.js$/,
    specifier: "./buildkit",
    real: "dockerode/lib/buildkit.js",
    from: ".",
  },
  // tar-fs, for build contexts
  { importer: /dockerode\/lib\/util\.js$/, specifier: "tar-fs", real: "tar-fs", from: "dockerode" },
];

function lazyModules(): Plugin {
  return {
    name: "lazy-modules",
    setup(b) {
      b.onResolve({ filter: /^(\.\/(ssh|session|buildkit)|tar-fs)$/ }, (args) => {
        const i = LAZY_MODULES.findIndex(
          (m) => m.specifier === args.path && m.importer.test(args.importer.replaceAll("\\", "/")),
        );
        return i < 0 ? undefined : { path: String(i), namespace: "lazy-module" };
      });
      // the real modules stay in node_modules
      b.onResolve({ filter: /.*/, namespace: "lazy-module" }, (args) => ({
        path: args.path,
        external: true,
      }));
      b.onLoad({ filter: /.*/, namespace: "lazy-module" }, (args) => {
        const { real, from } = LAZY_MODULES[Number(args.path)] as (typeof LAZY_MODULES)[number];
        // `require` is the banner's (createRequire of the chunk): node_modules next to dist/
        const load =
          from === "."
            ? `require(${JSON.stringify(real)})`
            : `require("node:module").createRequire(require.resolve(${JSON.stringify(from)}))(${JSON.stringify(real)})`;
        return {
          contents: `let real;
const load = () => (real ??= ${load});
module.exports = new Proxy(function lazy() {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args) => Reflect.construct(load(), args),
});
`,
          loader: "js",
        };
      });
    },
  };
}

/** `require`, `__filename` and `__dirname` for bundled CommonJS (and the lazy modules' `require`). */
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
    plugins: [precompiledValidators(), lazyModules()],
  };
}

export function actionBuildOptions(): BuildOptions {
  return {
    ...COMMON,
    entryPoints: [`${repo}action/src/index.ts`],
    outfile: `${repo}action/dist/index.js`,
    plugins: [precompiledValidators()],
    // ssh2 loads optional native add-ons inside try/catch; left out, it uses plain JavaScript
    external: ["*.node"],
  };
}
