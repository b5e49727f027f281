/**
 * docs/containers.md cannot rot: every `sh` block of the guide runs, in order, in one bash
 * session (`set -euo pipefail`) in an empty folder, with `fedeval` (these sources) on the PATH,
 * the real Docker Engine, `python:3.12-slim` and `busybox:1.36` (stand-ins when the engine has
 * none: helpers/base-images.ts) and `REGISTRY` pointing at a local registry; the `fedeval test`
 * commands must pass. Every `yaml results.yaml` / `yaml statistics.yaml` block is read the way a
 * site reads a container's output, and nothing in it may be dropped.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import type { Benchmark } from "../../src/governance/types.ts";
import { readEvaluatorOutput } from "../../src/results/build-result.ts";
import { ensureBusybox, ensurePython } from "../helpers/base-images.ts";
import { dockerForTests, serveTinyImage } from "../helpers/docker.ts";

const repo = resolve(import.meta.dirname, "../../..");
const GUIDE = join(repo, "docs/containers.md");
const { skip } = await dockerForTests();

interface Block {
  lang: string;
  label: string;
  text: string;
  line: number;
}

/** The fenced blocks of a markdown text (indented ones too, as in list items). */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\w+)?\s*(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^ *```\s*$/.test(lines[j] as string))
      body.push((lines[j++] as string).slice(indent));
    blocks.push({ lang: open[2] ?? "", label: open[3]?.trim() ?? "", text: body.join("\n"), line: i + 1 });
    i = j;
  }
  return blocks;
}

describe("docs/containers.md", () => {
  let blocks: Block[];
  before(async () => {
    blocks = fencedBlocks(await readFile(GUIDE, "utf8"));
  });

  it("shows results.yaml and statistics.yaml that a site reads without dropping anything", async () => {
    const benchmark = parse(
      await readFile(join(repo, "templates/init/benchmarks/__BENCHMARK__/benchmark.yaml"), "utf8"),
    ) as Benchmark;
    benchmark.subgroups = { min_cell: 20, strata: ["sex"], cells: { sex: ["F", "M"] } };
    const results = blocks.filter((b) => b.lang === "yaml" && b.label === "results.yaml");
    assert.ok(results.length >= 2);
    for (const b of results) {
      const output = readEvaluatorOutput(benchmark, parse(b.text), 60);
      assert.deepEqual(output.dropped, [], `docs/containers.md:${b.line}`);
      const declared = Object.keys(parse(b.text).metrics);
      for (const id of declared) assert.notEqual(output.metrics[id]?.value, null, `${id} at line ${b.line}`);
    }
    const [first] = results;
    assert.deepEqual(
      Object.keys(parse(first?.text ?? "").metrics),
      benchmark.metrics.map((m) => m.id),
    );
    const statistics = blocks.find((b) => b.lang === "yaml" && b.label === "statistics.yaml");
    const published = benchmark.statistics_published ?? [];
    assert.deepEqual(Object.keys(parse(statistics?.text ?? "")), published);
  });

  describe("its commands", { skip }, () => {
    let registry: Awaited<ReturnType<typeof serveTinyImage>>;
    before(async () => {
      await ensureBusybox();
      await ensurePython();
      registry = await serveTinyImage("my-model");
    });
    after(() => registry?.close());

    it("run in order, and every fedeval test in them passes", async () => {
      const commands = blocks.filter((b) => b.lang === "sh");
      assert.ok(commands.length >= 8, "the guide has its commands");
      const dir = await mkdtemp(join(tmpdir(), "fedeval-guide-"));
      const bin = join(dir, ".bin");
      const fedeval = join(bin, "fedeval");
      await mkdir(bin);
      await writeFile(
        fedeval,
        `#!/bin/sh\nexec "${process.execPath}" --import "${join(repo, "node_modules/tsx/dist/loader.mjs")}" "${join(repo, "cli/src/main.ts")}" "$@"\n`,
      );
      await chmod(fedeval, 0o755);
      const script = [
        "set -euo pipefail",
        ...commands.map((b) => `echo "### docs/containers.md:${b.line}" >&2\n${b.text}`),
      ].join("\n");
      // async: the local registry answers from this process while the commands run
      const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn("bash", ["-c", script], {
          cwd: dir,
          env: {
            PATH: `${bin}:${process.env.PATH}`,
            HOME: dir,
            FEDEVAL_HOME: join(dir, ".fedeval"),
            REGISTRY: registry.host,
            TMPDIR: process.env.TMPDIR ?? tmpdir(),
          },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => {
          stdout += c.toString();
        });
        child.stderr.on("data", (c: Buffer) => {
          stderr += c.toString();
        });
        child.on("close", (status) => done({ status, stdout, stderr }));
      });
      const where = run.stderr.split("\n").findLast((l) => l.startsWith("### ")) ?? "";
      assert.equal(
        run.status,
        0,
        `stopped after ${where}\n${run.stderr.slice(-4000)}\n${run.stdout.slice(-4000)}`,
      );
      const tests = run.stdout.split(/^test of model /m).slice(1);
      assert.equal(tests.length, 3, "three fedeval test runs");
      for (const t of tests) assert.match(t, /\npassed\n/);
      assert.match(
        run.stdout,
        new RegExp(`^${registry.host.replace(/\./g, "\\.")}/my-model@sha256:[0-9a-f]{64}$`, "m"),
      );
      assert.match(run.stdout, /^sha256:[0-9a-f]{64}$/m, "the image id of a local build");
      assert.match(
        tests[1] ?? "",
        /additional_files +\/mlcommons\/volumes\/additional_files <- \S+ \(directory, read-only\)/,
      );
      assert.deepEqual(
        tests.map((t) => t.split(" ")[0]),
        ["reference-model", "local-model", "reference-model"],
      );
    });
  });
});
