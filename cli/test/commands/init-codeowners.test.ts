import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import { codeownersCommand } from "../../src/commands/codeowners.ts";
import { initCommand } from "../../src/commands/init.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { makeTree } from "../helpers/governance-tree.ts";

describe("fedeval init", () => {
  it("scaffolds a governance repository that validates, with a warning at each placeholder left to replace", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "fedeval-init-")), "gov");
    const io = bufferIO();
    assert.equal(await initCommand({ dir, benchmark: "lung-nodules", site: "st-olaf" }, io), 0);
    const created = io.out.join("");
    for (const f of [
      "README.md",
      "sites/st-olaf.yaml",
      "benchmarks/lung-nodules/benchmark.yaml",
      "benchmarks/lung-nodules/containers/prep.yaml",
      "schemas/benchmark.schema.json",
      "schemas/result.schema.json",
      ".github/CODEOWNERS",
    ]) {
      assert.match(created, new RegExp(`created ${f.replace(/[.]/g, "\\.")}\\n`));
    }
    const report = await validateRepository({ root: dir });
    assert.equal(report.valid, true);
    // valid, but not configured: the example login and the example digests are each a warning, at the value
    const at = async (d: (typeof report.diagnostics)[number]) =>
      `${d.file} ${d.severity} ${d.rule} ${(await readFile(join(dir, d.file), "utf8")).split("\n")[d.line - 1]?.slice(d.col - 1, d.col + 29)}`;
    assert.deepEqual(await Promise.all(report.diagnostics.map(at)), [
      "benchmarks/lung-nodules/benchmark.yaml warning FE229 your-github-login]",
      'benchmarks/lung-nodules/benchmark.yaml warning FE229 "ghcr.io/example/prep@sha256:0',
      'benchmarks/lung-nodules/benchmark.yaml warning FE229 "ghcr.io/example/reference@sha',
      'benchmarks/lung-nodules/benchmark.yaml warning FE229 "ghcr.io/example/metrics@sha25',
      "sites/st-olaf.yaml warning FE229 your-github-login]          # ",
    ]);
    assert.match(
      report.diagnostics[0]?.message ?? "",
      /^"your-github-login" is the example login fedeval init writes: put a real GitHub login/,
    );
    assert.match(
      report.diagnostics[1]?.message ?? "",
      /sha256:0{63}1 is an example digest fedeval init writes: pin the image's real digest/,
    );
    // replaced, the warnings go
    for (const file of ["sites/st-olaf.yaml", "benchmarks/lung-nodules/benchmark.yaml"]) {
      let n = 0;
      const text = (await readFile(join(dir, file), "utf8"))
        .replaceAll("your-github-login", "olaf-radiology")
        .replace(/sha256:0{63}\d/g, () => `sha256:${String(++n).repeat(64)}`);
      await writeFile(join(dir, file), text);
    }
    // the owners changed: CODEOWNERS follows once regenerated (FE403 until then)
    assert.deepEqual(
      (await validateRepository({ root: dir })).diagnostics.map((d) => d.rule),
      ["FE403"],
    );
    assert.equal(await codeownersCommand({ root: dir, check: false }, bufferIO()), 0);
    assert.deepEqual((await validateRepository({ root: dir })).diagnostics, []);
    // the schema line of each file, and of each file fedeval writes later, finds its schema in the repository
    const files: [string, string, string][] = [
      ["site", "sites/st-olaf.yaml", await readFile(join(dir, "sites/st-olaf.yaml"), "utf8")],
      [
        "benchmark",
        "benchmarks/b/benchmark.yaml",
        await readFile(join(dir, "benchmarks/lung-nodules/benchmark.yaml"), "utf8"),
      ],
      ["model", "benchmarks/b/models/m.yaml", governanceFileText("model", {})],
      ["dataset", "benchmarks/b/datasets/d.yaml", governanceFileText("dataset", {})],
      ["result", "benchmarks/b/results/d/m.yaml", governanceFileText("result", {})],
    ];
    for (const [kind, file, text] of files) {
      const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1] ?? "";
      const found = JSON.parse(await readFile(join(dir, dirname(file), schema), "utf8"));
      assert.equal(found.$id, `https://fedeval.dev/schemas/${kind}.schema.json`, file);
    }
    assert.match(
      await readFile(join(dir, ".github/CODEOWNERS"), "utf8"),
      /^\/benchmarks\/lung-nodules\/ @olaf-radiology$/m,
    );
  });

  it("refuses a non-empty folder and bad ids", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-init-"));
    await writeFile(join(dir, "notes.txt"), "mine\n");
    await assert.rejects(initCommand({ dir, benchmark: "b", site: "s" }, bufferIO()), /not empty/);
    await assert.rejects(
      initCommand({ dir: join(dir, "x"), benchmark: "../evil", site: "s" }, bufferIO()),
      UserError,
    );
  });
});

describe("fedeval codeowners", () => {
  it("writes owners by path and --check detects drift", async () => {
    const root = await makeTree();
    assert.equal(
      await codeownersCommand({ root, check: true }, bufferIO()),
      1,
      "missing file is out of date",
    );
    assert.equal(await codeownersCommand({ root, check: false }, bufferIO()), 0);
    const text = await readFile(join(root, ".github/CODEOWNERS"), "utf8");
    assert.match(text, /^\/sites\/north-general\.yaml @north-it$/m);
    assert.match(text, /^\/benchmarks\/pleural-effusion-demo\/ @demo-committee$/m);
    assert.match(
      text,
      /^\/benchmarks\/pleural-effusion-demo\/results\/east-valley-2026q4\/ @east-valley-radiology$/m,
    );
    const lines = text.split("\n");
    assert.ok(
      lines.indexOf("/benchmarks/pleural-effusion-demo/ @demo-committee") <
        lines.findIndex((l) => l.includes("/results/")),
      "general lines first: the last match wins",
    );
    assert.equal(await codeownersCommand({ root, check: true }, bufferIO()), 0);
  });

  it("this repository's CODEOWNERS is up to date", async () => {
    assert.equal(
      await codeownersCommand({ root: resolve(import.meta.dirname, "../../.."), check: true }, bufferIO()),
      0,
    );
  });
});

describe("this repository's own governance tree", () => {
  it("validates", async () => {
    const report = await validateRepository({ root: resolve(import.meta.dirname, "../../..") });
    assert.deepEqual(report.diagnostics, []);
    assert.equal(report.index.benchmarks.get("pleural-effusion-demo")?.results.size, 9);
  });
});
