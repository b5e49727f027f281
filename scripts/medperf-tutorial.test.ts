/**
 * MedPerf's chest X-ray tutorial, end to end (`npm run test:medperf`; not part of `npm test`: the
 * Python base image is about 2 GB and takes minutes to build the first time; it needs root,
 * `mmdebstrap` and Docker). The same containers, built from MedPerf's files, give the same
 * statistics and metrics MedPerf's way (`docker run` as MedPerf crafts it) and fedeval's way (the
 * benchmark declaring their container_config.yaml files unchanged, the weights as additional
 * files): `fedeval test` on the raw data, `fedeval dataset prepare` with its reference test, and
 * `fedeval run` on the approved dataset.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { DEFAULT_PRECISION, roundToPrecision } from "../cli/src/results/precision.ts";
import {
  buildTutorialImages,
  CONTAINERS,
  type Container,
  GOVERNANCE_NAMES,
  type MedperfRun,
  makeTutorialData,
  runFedevalWay,
  runMedperfWay,
  TUTORIAL,
  type TutorialData,
  tutorialGovernance,
} from "./medperf-tutorial.ts";

describe("MedPerf's chest X-ray tutorial", () => {
  let images: Record<Container, string>;
  let data: TutorialData;
  let medperf: MedperfRun;
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "fedeval-medperf-tutorial-"));
    images = await buildTutorialImages();
    data = await makeTutorialData(join(work, "input"));
    medperf = await runMedperfWay(images, data, join(work, "medperf"));
  });

  it("runs MedPerf's way: docker run with MedPerf's mounts, results.yaml with AUC and Accuracy", () => {
    assert.deepEqual(Object.keys(medperf.results).sort(), ["AUC", "Accuracy"]);
    for (const v of Object.values(medperf.results)) assert.ok(v > 0 && v <= 1);
    assert.deepEqual(medperf.statistics, {
      num_cases: 56,
      labels_count: (medperf.statistics as { labels_count: unknown }).labels_count,
    });
    const infer = medperf.commands.find((c) => c.some((a) => a.startsWith("medperf-infer-")));
    assert.ok(infer?.some((a) => a.endsWith(":/mlcommons/volumes/additional_files:ro")));
    assert.ok(infer?.includes("--network") && infer.includes("none"));
  });

  it("declares the containers with their container_config.yaml unchanged and the weights as additional files", async () => {
    const root = await tutorialGovernance(
      images,
      data,
      join(await mkdtemp(join(tmpdir(), "fedeval-gov-")), "gov"),
    );
    for (const name of CONTAINERS) {
      assert.deepEqual(
        await readFile(
          join(root, "benchmarks/chestxray-tutorial/containers", `${GOVERNANCE_NAMES[name]}.yaml`),
        ),
        await readFile(join(TUTORIAL, name, "container_config.yaml")),
      );
    }
    const { validateRepository } = await import("../cli/src/validate/validate-repository.ts");
    const errors = (await validateRepository({ root })).diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors, []);
  });

  it("gives the same statistics and metrics through fedeval", async () => {
    const fedeval = await runFedevalWay(images, data, join(work, "fedeval"));
    assert.deepEqual(
      fedeval.tasks.map((t) => [t.task, t.status]),
      ["prepare", "sanity_check", "statistics", "infer", "evaluate"].map((t) => [t, "ok"]),
      JSON.stringify(fedeval.tasks),
    );
    // MedPerf's numbers as a site sends them: rounded to the metrics' precision (4 significant digits)
    const rounded = (x: number | undefined) => roundToPrecision(x as number, DEFAULT_PRECISION);
    const expected = { auc: rounded(medperf.results.AUC), accuracy: rounded(medperf.results.Accuracy) };
    assert.deepEqual(fedeval.test, expected, "fedeval test");
    assert.deepEqual(fedeval.statistics, medperf.statistics, "dataset prepare's statistics");
    assert.deepEqual(fedeval.reference, expected, "dataset prepare's reference test");
    assert.deepEqual(fedeval.run, expected, "fedeval run's result in the outbox");
  });
});
