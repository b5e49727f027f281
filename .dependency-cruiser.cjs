/**
 * The layers of fedeval's source, enforced in `npm run lint` (README, "What is here").
 * Each core folder of cli/src imports only the folders before it in LAYERS; the shells (the CLI's
 * main.ts, wiring/ and commands/, and action/src/) import only app/ and base/; nothing imports a
 * shell, and no source file imports test code.
 */
const LAYERS = [
  "base",
  "formats",
  "stats",
  "containers",
  "governance",
  "results",
  "forge",
  "site",
  "leaderboard",
  "validate",
  "app",
];
const SHELL = "^(cli/src/(main\\.ts|commands/|wiring/)|action/src/)";
const folder = (name) => `^cli/src/${name}/`;

const layerRules = LAYERS.slice(0, -1).map((name, i) => ({
  name: `layer-${name}`,
  comment: `${name}/ may import only ${LAYERS.slice(0, i).join(", ") || "no other folder"}`,
  severity: "error",
  from: { path: folder(name) },
  to: { path: `^cli/src/(${LAYERS.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "shell-imports-app",
      comment: "the CLI and the action import only app/ and base/ (besides their own files)",
      severity: "error",
      from: { path: SHELL },
      to: { path: `^cli/src/(${LAYERS.slice(1, -1).join("|")})/` },
    },
    {
      name: "action-not-cli",
      comment: "the action does not import the CLI's commands or wiring",
      severity: "error",
      from: { path: "^action/src/" },
      to: { path: "^cli/src/(main\\.ts|commands/|wiring/)" },
    },
    {
      name: "no-shell-import",
      comment: "nothing outside a shell imports one",
      severity: "error",
      from: { path: "^cli/src/", pathNot: SHELL },
      to: { path: SHELL },
    },
    {
      name: "no-test-import",
      comment: "source never imports test code",
      severity: "error",
      from: { path: "^(cli/src|action/src)/" },
      to: { path: "^cli/test/" },
    },
    {
      name: "no-circular",
      comment: "no import cycle",
      severity: "error",
      from: { path: "^(cli/src|action/src)/" },
      to: { circular: true },
    },
  ],
  options: {
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
  },
};
