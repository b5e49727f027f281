/**
 * The layer rules of .dependency-cruiser.cjs, which `npm run lint` runs: a copy of the source
 * tree with one planted import each must fail with the rule that forbids it, and the copy as it
 * is must pass.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "../../..");
const depcruise = join(repo, "node_modules/.bin/depcruise");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** depcruise with the repository's rules over `tree`, as lint runs it. */
function violations(tree: string): Violation[] {
  const r = spawnSync(
    depcruise,
    ["--config", join(repo, ".dependency-cruiser.cjs"), "--output-type", "json", "cli/src", "action/src"],
    { cwd: tree, encoding: "utf8" },
  );
  assert.ok(r.stdout, `depcruise printed nothing: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("layer rules (dependency-cruiser)", () => {
  let tree: string;
  before(async () => {
    tree = await mkdtemp(join(tmpdir(), "fedeval-layers-"));
    for (const dir of ["cli/src", "action/src", "cli/test/helpers"])
      await cp(join(repo, dir), join(tree, dir), { recursive: true });
    // the JSON Schemas formats/schemas.ts imports
    await cp(join(repo, "schemas"), join(tree, "schemas"), { recursive: true });
  });
  after(() => rm(tree, { recursive: true, force: true }));

  const plants: { what: string; file: string; text: string; rule: string }[] = [
    {
      what: "a lower layer importing a higher one (base → app)",
      file: "cli/src/base/planted.ts",
      text: 'export { checkProposal } from "../app/check-proposal.ts";\n',
      rule: "layer-base",
    },
    {
      what: "a back-edge that closes a folder cycle (governance → results)",
      file: "cli/src/governance/planted.ts",
      text: 'import type { OutboxEntry } from "../results/outbox.ts";\nexport type X = OutboxEntry;\n',
      rule: "layer-governance",
    },
    {
      what: "the action importing a CLI command",
      file: "action/src/planted.ts",
      text: 'export { planCommand } from "../../cli/src/commands/plan.ts";\n',
      rule: "action-not-cli",
    },
    {
      what: "a shell importing a core folder below app",
      file: "cli/src/commands/planted.ts",
      text: 'export { loadGovernance } from "../governance/loader.ts";\n',
      rule: "shell-imports-app",
    },
    {
      what: "the core importing a shell",
      file: "cli/src/app/planted.ts",
      text: 'export type { CommandIO } from "../commands/io.ts";\n',
      rule: "no-shell-import",
    },
    {
      what: "source importing test code",
      file: "cli/src/validate/planted.ts",
      text: 'export * from "../../test/helpers/git.ts";\n',
      rule: "no-test-import",
    },
  ];

  it("passes the tree as it is", () => {
    assert.deepEqual(
      violations(tree).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      [],
    );
  });

  for (const plant of plants) {
    it(`fails ${plant.what}`, async () => {
      const path = join(tree, plant.file);
      await writeFile(path, plant.text);
      try {
        const found = violations(tree).filter((v) => v.from === plant.file);
        assert.deepEqual(
          found.map((v) => v.rule.name),
          [plant.rule],
        );
      } finally {
        await rm(path);
      }
    });
  }
});
