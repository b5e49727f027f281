import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Diagnostic } from "../../src/base/diagnostics.ts";
import { UsageError } from "../../src/base/errors.ts";
import { editYaml, toYaml } from "../../src/formats/yaml-write.ts";
import type { Result } from "../../src/governance/types.ts";
import { signResult } from "../../src/results/signature.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { BENCHMARK as BENCHMARK_ID, decide, memberEntry, siteKey } from "../helpers/fixtures.ts";
import { makeTree, testDataset, testResult, testTreeFiles } from "../helpers/governance-tree.ts";

const B = `benchmarks/${BENCHMARK_ID}`;
const RESULT = `${B}/results/north-general-2026q4/effusion-net-v2.yaml`;
const MODEL = `${B}/models/effusion-net-v2.yaml`;
const DATASET = `${B}/datasets/north-general-2026q4.yaml`;
const BENCHMARK = `${B}/benchmark.yaml`;

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `fixture does not contain ${needle}`);
  return text.slice(0, at).split("\n").length;
}

function edit(files: Map<string, string>, path: string, from: string, to: string): number {
  const text = files.get(path);
  assert.ok(text, `no ${path}`);
  const line = lineOf(text, from);
  files.set(path, text.replace(from, to));
  return line;
}

function resultYaml(r: Result): string {
  return `schema: fedeval/result@1\n${toYaml(r).replace(/^schema: fedeval\/result@1\n/, "")}`;
}

async function problems(edits: (files: Map<string, string>) => void): Promise<Diagnostic[]> {
  const root = await makeTree(edits);
  return (await validateRepository({ root })).diagnostics;
}

function expectOne(diagnostics: Diagnostic[], rule: string, file: string, line?: number): Diagnostic {
  const found = diagnostics.filter((d) => d.rule === rule && d.file === file);
  assert.equal(
    found.length,
    1,
    `expected one ${rule} in ${file}, got:\n${diagnostics.map((d) => `${d.file}:${d.line} ${d.rule} ${d.message}`).join("\n")}`,
  );
  const d = found[0] as Diagnostic;
  if (line !== undefined) assert.equal(d.line, line, `${rule} line`);
  assert.doesNotMatch(d.message, /\n/, "one line");
  return d;
}

describe("validate: the demo tree", () => {
  it("is valid with no warnings", async () => {
    const root = await makeTree();
    const report = await validateRepository({ root });
    assert.deepEqual(report.diagnostics, []);
    assert.equal(report.valid, true);
    assert.equal(report.files, 25);
    assert.equal(report.index.benchmarks.get(BENCHMARK_ID)?.results.size, 9);
  });
});

describe("validate: bad input, one clear diagnostic each", () => {
  it("malformed YAML", async () => {
    let line = 0;
    const d = await problems((f) => (line = edit(f, MODEL, "priority: 10", "priority: [10")));
    expectOne(d, "FE003", MODEL);
    assert.ok(d[0] && d[0].line >= line);
  });

  it("wrong types point at the value", async () => {
    let line = 0;
    const d = await problems((f) => (line = edit(f, MODEL, "priority: 10", "priority: high")));
    assert.match(expectOne(d, "FE100", MODEL, line).message, /priority must be integer, not string/);
  });

  it("missing required fields", async () => {
    const d = await problems((f) => edit(f, MODEL, "status: approved\n", ""));
    assert.match(expectOne(d, "FE100", MODEL).message, /missing required field "status"/);
  });

  it("unknown fields point at the key", async () => {
    let line = 0;
    const d = await problems((f) => (line = edit(f, MODEL, "priority: 10", "priority: 10\nnotes: call me")));
    const one = expectOne(d, "FE100", MODEL, line + 1);
    assert.match(one.message, /unknown field "notes"/);
    assert.equal(one.col, 1);
  });

  it("duplicate keys", async () => {
    let line = 0;
    const d = await problems((f) => (line = edit(f, MODEL, "priority: 10", "priority: 10\npriority: 11")));
    expectOne(d, "FE004", MODEL, line + 1);
  });

  it("an id that differs from the file name", async () => {
    let line = 0;
    const d = await problems((f) => (line = edit(f, MODEL, "id: effusion-net-v2", "id: effusion-net-v3")));
    assert.match(expectOne(d, "FE102", MODEL, line).message, /path says "effusion-net-v2"/);
  });

  it("../ and absolute paths in ids and references", async () => {
    let l1 = 0;
    let l2 = 0;
    const d = await problems((f) => {
      l1 = edit(f, DATASET, "site: north-general", "site: ../../etc");
      l2 = edit(f, MODEL, "config: containers/effusion-net-v2.yaml", "config: /etc/passwd");
      f.set(`${B}/models/..evil.yaml`, "schema: fedeval/model@1\n");
    });
    expectOne(d, "FE100", DATASET, l1);
    expectOne(d, "FE100", MODEL, l2);
    assert.match(expectOne(d, "FE001", `${B}/models/..evil.yaml`).message, /not a valid id/);
  });

  it("dangling references", async () => {
    let l1 = 0;
    let l2 = 0;
    const d = await problems((f) => {
      l1 = edit(f, DATASET, "site: north-general", "site: west-nowhere");
      l2 = edit(f, MODEL, "config: containers/effusion-net-v2.yaml", "config: containers/missing.yaml");
    });
    assert.match(expectOne(d, "FE203", DATASET, l1).message, /west-nowhere/);
    assert.match(expectOne(d, "FE204", MODEL, l2).message, /missing\.yaml does not exist/);
  });

  it("a result for an unknown model or dataset", async () => {
    const d = await problems((f) => {
      const dataset = testDataset("north-general");
      f.set(
        `${B}/results/north-general-2026q4/ghost-model.yaml`,
        resultYaml({ ...testResult(dataset, "effusion-net-v2"), model: "ghost-model" }),
      );
      f.set(
        `${B}/results/ghost-data/effusion-net-v2.yaml`,
        resultYaml({ ...testResult(dataset, "effusion-net-v2"), dataset: "ghost-data" }),
      );
    });
    expectOne(d, "FE201", `${B}/results/north-general-2026q4/ghost-model.yaml`);
    expectOne(d, "FE202", `${B}/results/ghost-data/effusion-net-v2.yaml`);
  });

  it("a result for an unapproved model", async () => {
    const d = await problems((f) => edit(f, MODEL, "status: approved", "status: proposed"));
    assert.match(expectOne(d, "FE205", RESULT).message, /not approved/);
  });

  it("metrics the benchmark does not declare, and missing ones", async () => {
    const d = await problems((f) => {
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      const { ece: _ece, ...rest } = r.metrics;
      const changed = { ...r, metrics: { ...rest, f1: { value: 0.7 } } };
      f.set(RESULT, resultYaml(signResult(changed, "demo-1", siteKey("north-general").privateKey)));
    });
    const metricProblems = d.filter((x) => x.rule === "FE207" && x.file === RESULT);
    assert.equal(metricProblems.length, 2);
    assert.ok(metricProblems.some((x) => /"f1" is not declared/.test(x.message)));
    assert.ok(metricProblems.some((x) => /missing declared metric ece/.test(x.message)));
  });

  it("two primary metrics", async () => {
    let line = 0;
    const d = await problems((f) => {
      const text = f.get(BENCHMARK) as string;
      const at = text.indexOf("id: sensitivity");
      line = text.slice(0, at).split("\n").length;
      f.set(BENCHMARK, text.replace("id: sensitivity\n", "id: sensitivity\n    primary: true\n"));
    });
    assert.match(expectOne(d, "FE211", BENCHMARK, line + 1).message, /second primary metric/);
  });

  it("a mutable image tag with no digest", async () => {
    let line = 0;
    const d = await problems((f) => {
      const text = f.get(MODEL) as string;
      line = lineOf(text, "image: sha256:");
      f.set(MODEL, text.replace(/image: sha256:[0-9a-f]+/, "image: ghcr.io/acme/effusion-net:latest"));
    });
    assert.match(expectOne(d, "FE100", MODEL, line).message, /pinned by digest/);
  });

  it("a billion-laughs file fails fast", async () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]",
      "i: [*h,*h,*h,*h,*h,*h,*h,*h,*h]",
    ].join("\n");
    const d = await problems((f) => f.set(MODEL, bomb));
    assert.match(expectOne(d, "FE005", MODEL).message, /billion-laughs/);
  });

  // without a time limit: reading it must not take exponential time (the test would hang)
  it("a file of many comment lines before its YAML is read, and one of only comments is empty", async () => {
    const comments = "# a comment line\n".repeat(60);
    const d = await problems((f) => {
      f.set(MODEL, `${comments}${f.get(MODEL)}`);
      f.set(`${B}/models/shortcut-cnn.yaml`, comments);
    });
    assert.deepEqual(
      d.filter((x) => x.file === MODEL),
      [],
    );
    expectOne(d, "FE002", `${B}/models/shortcut-cnn.yaml`);
  });

  it("a 50 MB file is refused before it is read", async () => {
    const root = await makeTree();
    await writeFile(join(root, MODEL), Buffer.alloc(50 * 1024 * 1024, "a"));
    const { diagnostics } = await validateRepository({ root });
    assert.match(expectOne(diagnostics, "FE007", MODEL).message, /50 MiB, above the 1 MiB limit/);
  });

  it("a symlink", async () => {
    const root = await makeTree((f) => f.delete(MODEL));
    await symlink("/etc/passwd", join(root, MODEL));
    await mkdir(join(root, `${B}/datasets/linked`), { recursive: true });
    await symlink(join(root, "sites"), join(root, `${B}/datasets/linked/dir`));
    const { diagnostics } = await validateRepository({ root });
    expectOne(diagnostics, "FE006", MODEL);
    expectOne(diagnostics, "FE006", `${B}/datasets/linked/dir`);
  });

  it("a non-UTF-8 file", async () => {
    const root = await makeTree();
    await writeFile(
      join(root, MODEL),
      Buffer.concat([
        Buffer.from("schema: fedeval/model@1\ntitle: caf"),
        Buffer.from([0xe9]),
        Buffer.from("\n"),
      ]),
    );
    const { diagnostics } = await validateRepository({ root });
    assert.equal(expectOne(diagnostics, "FE008", MODEL).line, 2);
  });

  it("an empty file", async () => {
    const d = await problems((f) => f.set(MODEL, "# nothing here\n"));
    expectOne(d, "FE002", MODEL);
  });

  it("unknown files under the known folders", async () => {
    const d = await problems((f) => {
      f.set(`${B}/models/effusion-net-v3.yml`, "x: 1\n");
      f.set(`${B}/notes.txt`, "hello\n");
      f.set("sites/extra/site.yaml", "x: 1\n");
    });
    assert.match(expectOne(d, "FE001", `${B}/models/effusion-net-v3.yml`).message, /not "\.yml"/);
    expectOne(d, "FE001", `${B}/notes.txt`);
    expectOne(d, "FE001", "sites/extra/site.yaml");
  });

  it("a folder that is not a governance repository is a usage error", async () => {
    await assert.rejects(validateRepository({ root: "/proc/self/fdinfo" }), UsageError);
    await assert.rejects(validateRepository({ root: "/no/such/dir" }), UsageError);
  });
});

describe("validate: privacy and policy rules", () => {
  it("a statistic the benchmark does not publish", async () => {
    let line = 0;
    const d = await problems(
      (f) => (line = edit(f, DATASET, "statistics:\n", 'statistics:\n  postcode_counts: {"0150": 3}\n')),
    );
    expectOne(d, "FE214", DATASET, line + 1);
  });

  it("a value, se or ci bound with more digits than its metric's precision, even signed (FE230: a covert channel)", async () => {
    const d = await problems((f) => {
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.metrics.ece = { value: 0.05, se: 0.0123456789 };
      r.subgroups = [{ stratum: "sex", cell: "F", n: 210, metrics: { auc: { value: 0.84001 } } }];
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    const found = d.filter((x) => x.rule === "FE230");
    assert.deepEqual(
      found.map((x) => [x.file, x.message]),
      [
        [
          RESULT,
          "ece.se 0.0123456789 has more than the 4 significant digits the benchmark declares for ece; round it (fedeval run does)",
        ],
        [
          RESULT,
          "auc.value 0.84001 has more than the 4 significant digits the benchmark declares for auc; round it (fedeval run does)",
        ],
      ],
    );
    // a benchmark that declares 10 digits for ece accepts that se
    const wider = await problems((f) => {
      edit(f, BENCHMARK, "id: ece\n", "id: ece\n    precision: 10\n");
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.metrics.ece = { value: 0.05, se: 0.0123456789 };
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    assert.deepEqual(
      wider.filter((x) => x.rule === "FE230"),
      [],
    );
  });

  it("a subgroup cell under the minimum count that is not suppressed", async () => {
    const d = await problems((f) => {
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.subgroups = [{ stratum: "sex", cell: "F", n: 7, metrics: { auc: { value: 0.5 } } }];
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    assert.match(expectOne(d, "FE215", RESULT).message, /n = 7, under the minimum cell count 20/);
  });

  it("subgroup cells and published categories only from the labels the benchmark declares", async () => {
    let resultText = "";
    let datasetLine = 0;
    const d = await problems((f) => {
      edit(f, BENCHMARK, "scanner_vendor]", "scanner_vendor, region]");
      edit(
        f,
        BENCHMARK,
        "    scanner_vendor: [vendor-a, vendor-b]\n",
        "    scanner_vendor: [vendor-a, vendor-b]\n    scanner: [GE]\n",
      );
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.subgroups = [
        { stratum: "sex", cell: "F", n: 210, metrics: { auc: { value: 0.84 } } },
        { stratum: "sex", cell: "patient 0042", suppressed: true },
      ];
      resultText = resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey));
      f.set(RESULT, resultText);
      datasetLine = edit(
        f,
        DATASET,
        "    no_effusion: 280\n",
        "    no_effusion: 280\n  sex: {F: 390, X: 10}\n  age_band: {18-39: 5, 40-64: 395}\n",
      );
    });
    const cells = lineOf(testTreeFiles().get(BENCHMARK) as string, "  cells:");
    const found = (rule: string) =>
      d.filter((x) => x.rule === rule).map((x) => `${x.file.split("/").pop()}:${x.line} ${x.message}`);
    assert.deepEqual(found("FE227"), [
      `benchmark.yaml:${cells + 1} stratum "region" has no declared cells in subgroups.cells`,
      `benchmark.yaml:${cells + 4} "scanner" is not one of subgroups.strata`,
      `north-general-2026q4.yaml:${datasetLine + 1} "X" is not a declared cell of stratum sex`,
      `effusion-net-v2.yaml:${lineOf(resultText, "cell: patient 0042")} "patient 0042" is not a declared cell of stratum sex`,
    ]);
    assert.deepEqual(found("FE215"), [
      `north-general-2026q4.yaml:${datasetLine + 2} age_band.18-39 = 5 is under the minimum cell count 20: it must stay at the site`,
    ]);
  });

  it("an evaluator value out of the declared range", async () => {
    const d = await problems((f) => {
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.metrics.auc = { ...r.metrics.auc, value: 1.7 } as Result["metrics"][string];
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    expectOne(d, "FE216", RESULT);
  });

  it("a value that disagrees with the counts or histogram beside it, with file:line", async () => {
    let text = "";
    const d = await problems((f) => {
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.metrics.sensitivity = { ...r.metrics.sensitivity, value: 0.8 } as Result["metrics"][string];
      r.metrics.auc = { ...r.metrics.auc, value: 0.95 } as Result["metrics"][string];
      text = resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey));
      f.set(RESULT, text);
    });
    const found = d.filter((x) => x.rule === "FE226" && x.file === RESULT);
    assert.deepEqual(
      found.map((x) => [x.line, x.message]),
      [
        [
          lineOf(text, "value: 0.95"),
          "auc = 0.95, but its histogram gives 0.8664 ± 0.0141 (pairs tied in a bin)",
        ],
        [lineOf(text, "value: 0.8\n"), "sensitivity = 0.8, but its counts give 0.75"],
      ],
    );
    assert.equal(
      d.filter((x) => x.severity === "error").length,
      2,
      d.map((x) => `${x.rule} ${x.message}`).join("\n"),
    );
  });

  it("a process-runner result for a benchmark that requires isolation", async () => {
    const d = await problems((f) => {
      edit(f, BENCHMARK, "isolation_required: false", "isolation_required: true");
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.provenance.isolation = "none";
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    expectOne(d, "FE217", RESULT);
  });
});

describe("validate: signed committee approvals", () => {
  const SHORTCUT = `${B}/models/shortcut-cnn.yaml`;
  const members = (f: Map<string, string>, list: unknown[]) =>
    f.set(BENCHMARK, editYaml(f.get(BENCHMARK) as string, [[["members"], list]]));
  const unsigned = (f: Map<string, string>, path = MODEL) =>
    f.set(path, editYaml(f.get(path) as string, [[["approvals"], undefined]]));
  const approvalLine = (f: Map<string, string>, field: string, path = MODEL) =>
    lineOf(f.get(path) as string, `    ${field}:`);
  const only = (d: Diagnostic[], rules: string[]) =>
    assert.deepEqual(
      d
        .filter((x) => x.severity === "error")
        .map((x) => `${x.file} ${x.rule}`)
        .sort(),
      rules.sort(),
      d.map((x) => `${x.file}:${x.line} ${x.rule} ${x.message}`).join("\n"),
    );

  it("an approved association without a signature", async () => {
    let line = 0;
    const d = await problems((f) => {
      unsigned(f);
      line = lineOf(f.get(MODEL) as string, "status: approved");
    });
    const e = expectOne(d, "FE605", MODEL, line);
    assert.match(e.message, /status: approved needs 1 committee member's signed approve .* found 0/);
    only(d, [`${MODEL} FE605`]);
  });

  it("a forged signature", async () => {
    let line = 0;
    const d = await problems((f) => {
      line = approvalLine(f, "signature");
      f.set(MODEL, (f.get(MODEL) as string).replace(/signature: .*/, `signature: ${"A".repeat(86)}==`));
    });
    expectOne(d, "FE601", MODEL, line);
    only(d, [`${MODEL} FE601`, `${MODEL} FE605`]);
  });

  it("an approval replayed from another model's file", async () => {
    const d = await problems((f) => {
      const other = /approvals:\n(?: {2}.*\n)+/.exec(f.get(SHORTCUT) as string)?.[0] as string;
      f.set(MODEL, (f.get(MODEL) as string).replace(/approvals:\n(?: {2}.*\n)+/, other));
    });
    const e = expectOne(d, "FE601", MODEL);
    assert.match(e.message, /copied from another approval/);
    only(d, [`${MODEL} FE601`, `${MODEL} FE605`]);
  });

  it("an older approval replayed after a suspension", async () => {
    const d = await problems((f) => {
      decide(f, MODEL, { decision: "suspend", setStatus: true, at: "2026-11-05T09:00:00Z" });
      const first = /approvals:\n((?: {2}.*\n)+?)(?= {2}- )/.exec(f.get(MODEL) as string)?.[1] as string;
      f.set(
        MODEL,
        `${(f.get(MODEL) as string).replace("status: suspended", "status: approved")}`.replace(
          /(approvals:\n(?: {2}.*\n)+)/,
          `$1${first}`,
        ),
      );
    });
    expectOne(d, "FE606", MODEL);
    expectOne(d, "FE605", MODEL);
  });

  it("an approval by someone who is not a committee member", async () => {
    const d = await problems((f) => {
      unsigned(f);
      decide(f, MODEL, { login: "mallory", keyId: "m-1" });
    });
    const e = expectOne(d, "FE602", MODEL);
    assert.match(
      e.message,
      /mallory is not a committee member of benchmark pleural-effusion-demo \(members: committee-chair\)/,
    );
    only(d, [`${MODEL} FE602`, `${MODEL} FE605`]);
  });

  it("an approval by the requester, even when they are a member", async () => {
    const d = await problems((f) => {
      members(f, [memberEntry(), memberEntry("acme-imaging", "a-1")]);
      unsigned(f);
      decide(f, MODEL, { login: "acme-imaging", keyId: "a-1" });
    });
    const e = expectOne(d, "FE604", MODEL);
    assert.match(e.message, /acme-imaging requested this and cannot approve it/);
    only(d, [`${MODEL} FE604`, `${MODEL} FE605`]);
  });

  it("an approval over different content: the container definition changed after signing", async () => {
    const d = await problems((f) => {
      const config = `${B}/containers/effusion-net-v2.yaml`;
      f.set(
        config,
        (f.get(config) as string).replace(
          "node /app/model.mjs infer",
          "node /app/model.mjs infer --exfiltrate",
        ),
      );
    });
    const e = expectOne(d, "FE605", MODEL);
    assert.match(e.message, /found 0; 1 valid signature is over other content/);
  });

  it("a key used after it was revoked", async () => {
    const d = await problems((f) => {
      members(f, [
        { ...memberEntry(), keys: [{ ...memberEntry().keys[0], revoked_at: "2026-11-02T00:00:00Z" }] },
      ]);
    });
    expectOne(d, "FE603", MODEL);
  });

  it("policy.approvals: 2 needs two different members", async () => {
    const one = await problems((f) => {
      f.set(BENCHMARK, editYaml(f.get(BENCHMARK) as string, [[["policy", "approvals"], 2]]));
      members(f, [memberEntry(), memberEntry("second-member", "s-1")]);
    });
    expectOne(one, "FE605", MODEL);
    const two = await problems((f) => {
      f.set(BENCHMARK, editYaml(f.get(BENCHMARK) as string, [[["policy", "approvals"], 2]]));
      members(f, [memberEntry(), memberEntry("second-member", "s-1")]);
      decide(f, MODEL, { login: "second-member", keyId: "s-1" });
    });
    assert.equal(
      two.filter((x) => x.file === MODEL).length,
      0,
      two.map((x) => `${x.file} ${x.message}`).join("\n"),
    );
  });

  it("an update beside the approved version: the approved one stands, the update's approvals are verified too", async () => {
    const update = (f: Map<string, string>) =>
      f.set(
        MODEL,
        editYaml(f.get(MODEL) as string, [
          [
            ["update"],
            {
              container: { image: `sha256:${"d".repeat(64)}`, config: "containers/effusion-net-v2.yaml" },
              requested_by: "acme-imaging",
            },
          ],
        ]),
      );
    const pending = await problems(update);
    assert.deepEqual(
      pending.filter((x) => x.file === MODEL),
      [],
      "the approved version stays approved",
    );
    const forged = await problems((f) => {
      update(f);
      decide(f, MODEL, { update: true, login: "acme-imaging", keyId: "a-1" });
    });
    expectOne(forged, "FE602", MODEL);
    assert.ok(forged.every((x) => x.file !== MODEL || x.rule === "FE602"));
  });

  it("a signed suspension stands; its results are kept as history", async () => {
    const d = await problems((f) => decide(f, MODEL, { decision: "suspend", setStatus: true }));
    assert.equal(d.filter((x) => x.severity === "error").length, 0, d.map((x) => x.message).join("\n"));
    assert.ok(d.some((x) => x.rule === "FE205" && x.file === RESULT && x.severity === "warning"));
  });
});

describe("validate: signatures", () => {
  const sign = (r: Result, site = "north-general") => signResult(r, "demo-1", siteKey(site).privateKey);
  const dataset = testDataset("north-general");

  it("a metric changed after signing", async () => {
    const d = await problems((f) => {
      const r = testResult(dataset, "effusion-net-v2");
      r.metrics.auc = { ...r.metrics.auc, value: 0.99 } as Result["metrics"][string];
      f.set(RESULT, resultYaml(r));
    });
    assert.match(expectOne(d, "FE304", RESULT).message, /changed after signing/);
  });

  it("a signature by another site's key", async () => {
    const d = await problems((f) =>
      f.set(RESULT, resultYaml(sign(testResult(dataset, "effusion-net-v2", false), "east-valley"))),
    );
    expectOne(d, "FE304", RESULT);
  });

  it("an unsigned result", async () => {
    const d = await problems((f) => f.set(RESULT, resultYaml(testResult(dataset, "effusion-net-v2", false))));
    expectOne(d, "FE301", RESULT);
  });

  it("a key revoked before approval, and one revoked after it", async () => {
    const revokeAt = (at: string) => (f: Map<string, string>) =>
      edit(
        f,
        "sites/north-general.yaml",
        "created_at: 2026-11-01T09:00:00Z",
        `created_at: 2026-11-01T09:00:00Z\n    revoked_at: ${at}`,
      );
    const before = await problems(revokeAt("2026-11-15T00:00:00Z"));
    assert.match(expectOne(before, "FE303", RESULT).message, /revoked/);
    const after = await problems(revokeAt("2026-11-21T00:00:00Z"));
    assert.deepEqual(
      after.filter((x) => x.rule.startsWith("FE3")),
      [],
    );
  });

  it("image digests that differ from the approved association", async () => {
    const d = await problems((f) => {
      const r = testResult(dataset, "effusion-net-v2", false);
      r.provenance.images.model = `sha256:${"e".repeat(64)}`;
      f.set(RESULT, resultYaml(sign(r)));
    });
    expectOne(d, "FE206", RESULT);
  });
});

describe("validate: consistency inside a file", () => {
  it("duplicate key ids, histogram lengths, reversed intervals and times", async () => {
    const d = await problems((f) => {
      edit(
        f,
        "sites/north-general.yaml",
        "keys:\n",
        `keys:\n  - {id: demo-1, algorithm: ed25519, public_key: ${demoPublicKey()}, created_at: 2026-01-01T00:00:00Z}\n`,
      );
      const r = testResult(testDataset("north-general"), "effusion-net-v2", false);
      r.metrics.auc = { value: 0.8, histogram: { bins: 20, positive: [1, 2], negative: Array(20).fill(1) } };
      r.metrics.ece = { value: 0.05, se: 0.01, ci: [0.07, 0.03] };
      r.provenance.finished_at = "2026-11-19T00:00:00Z";
      f.set(RESULT, resultYaml(signResult(r, "demo-1", siteKey("north-general").privateKey)));
    });
    expectOne(d, "FE223", "sites/north-general.yaml");
    const payload = d.filter((x) => x.rule === "FE222" && x.file === RESULT).map((x) => x.message);
    assert.deepEqual(payload.sort(), [
      "auc histogram.positive has 2 counts for 20 bins",
      "ece interval [0.07, 0.03] has its bounds reversed",
    ]);
    assert.match(expectOne(d, "FE224", RESULT).message, /before started_at/);
  });
});

function demoPublicKey(): string {
  return siteKey("south-coast").publicKey;
}

describe("validate: demo data", () => {
  it("live in the benchmark's demo/ folder, unparsed; a path elsewhere is refused", async () => {
    const ok = await problems((f) => {
      edit(
        f,
        BENCHMARK,
        "metrics:\n",
        `demo_dataset:\n  path: demo/data.tar.gz\n  sha256: ${"a".repeat(64)}\nmetrics:\n`,
      );
      f.set(`${B}/demo/data.tar.gz`, "not yaml: [\n");
    });
    assert.deepEqual(ok, []);
    let line = 0;
    const bad = await problems((f) => {
      line = edit(
        f,
        BENCHMARK,
        "metrics:\n",
        `demo_dataset:\n  path: containers/prep.yaml\n  sha256: ${"a".repeat(64)}\nmetrics:\n`,
      );
    });
    expectOne(bad, "FE225", BENCHMARK, line + 1);
  });
});
