/**
 * The containers `fedeval init` scaffolds run as written: their images built from images/ with
 * `docker build`, pinned by image id in benchmark.yaml as its comment says, and `fedeval test`
 * passes on the scaffolded demo data, with the metrics an independent computation gives.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { testContainers } from "../../src/app/container-test.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { initCommand } from "../../src/commands/init.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { DEFAULT_PRECISION, roundToPrecision } from "../../src/results/precision.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { ensureBusybox } from "../helpers/base-images.ts";
import { dockerForTests } from "../helpers/docker.ts";

const { docker, skip } = await dockerForTests();

const csv = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","));

describe("fedeval init scaffold", { skip }, () => {
  it("builds, pins, and passes fedeval test on its demo data", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "fedeval-init-")), "gov");
    await initCommand({ dir, benchmark: "opacity", site: "st-olaf" }, bufferIO());
    await ensureBusybox();
    const file = join(dir, "benchmarks/opacity/benchmark.yaml");
    let benchmark = await readFile(file, "utf8");
    const images: string[] = [];
    for (const [name, placeholder] of [
      [
        "prep",
        "ghcr.io/example/prep@sha256:0000000000000000000000000000000000000000000000000000000000000001",
      ],
      [
        "reference",
        "ghcr.io/example/reference@sha256:0000000000000000000000000000000000000000000000000000000000000002",
      ],
      [
        "metrics",
        "ghcr.io/example/metrics@sha256:0000000000000000000000000000000000000000000000000000000000000003",
      ],
    ] as const) {
      const tag = `fedeval-test-init/${name}:1.0.0`;
      execFileSync("docker", ["build", "-q", "-t", tag, join(dir, "images", name)]);
      const id = execFileSync("docker", ["inspect", "--format", "{{.Id}}", tag], { encoding: "utf8" }).trim();
      assert.ok(benchmark.includes(placeholder), placeholder);
      benchmark = benchmark.replace(placeholder, id);
      images.push(tag);
    }
    await writeFile(file, benchmark);
    try {
      assert.deepEqual(
        (await validateRepository({ root: dir })).diagnostics.filter((d) => d.severity === "error"),
        [],
      );
      const report = await testContainers({
        root: dir,
        benchmark: "opacity",
        runner: "docker",
        cwd: dir,
        env: { PATH: process.env.PATH },
        docker,
        logger: silentLogger,
      });
      assert.ok(report.result.ok, JSON.stringify(report.tasks.map((t) => t.outcome)));
      assert.deepEqual(
        report.tasks.map((t) => [t.task, t.outcome.status, t.command.join(" ")]),
        [
          ["prepare", "ok", "sh /app/prep.sh prepare"],
          ["sanity_check", "ok", "sh /app/prep.sh sanity_check"],
          ["statistics", "ok", "sh /app/prep.sh statistics"],
          ["infer", "ok", "sh /app/model.sh infer"],
          ["evaluate", "ok", "sh /app/evaluate.sh evaluate"],
        ],
      );
      const model = report.result.models[0];
      assert.equal(model?.status, "ok", model?.message);
      assert.deepEqual(model?.dropped, []);

      // the same metrics computed here from the demo files
      const demo = join(dir, "benchmarks/opacity/demo/dataset");
      const score = new Map(
        csv(await readFile(join(demo, "data/cases.csv"), "utf8")).map(([c, s]) => [
          c,
          Math.min(1, Math.max(0, Number(s))),
        ]),
      );
      const cases = csv(await readFile(join(demo, "labels/labels.csv"), "utf8")).map(([c, y]) => ({
        s: score.get(c as string) as number,
        y: Number(y),
      }));
      const pos = cases.filter((c) => c.y === 1).map((c) => c.s);
      const neg = cases.filter((c) => c.y === 0).map((c) => c.s);
      let wins = 0;
      for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
      const tp = pos.filter((s) => s >= 0.5).length;
      const tn = neg.filter((s) => s < 0.5).length;
      const brier = cases.reduce((a, c) => a + (c.s - c.y) ** 2, 0) / cases.length;
      // as a site sends them: rounded to the metric's precision (4 significant digits here)
      const close = (a: number | null | undefined, b: number) =>
        assert.ok(
          Math.abs((a ?? Number.NaN) - roundToPrecision(b, DEFAULT_PRECISION)) < 1e-9,
          `${a} vs ${b}`,
        );
      close(model?.metrics.auc, wins / (pos.length * neg.length));
      close(model?.metrics.sensitivity, tp / pos.length);
      close(model?.metrics.specificity, tn / neg.length);
      close(model?.metrics.brier, brier);
      assert.equal(report.result.cases, cases.length);
    } finally {
      execFileSync("docker", ["rmi", "-f", ...images]);
    }
  });
});
