import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import { containerInspectCommand } from "../../src/commands/container-inspect.ts";
import { bufferIO } from "../../src/commands/io.ts";

const fixtures = resolve(import.meta.dirname, "../fixtures/containers");
const medperf = join(fixtures, "medperf");

async function inspect(file: string, json = false, cwd = fixtures) {
  const io = bufferIO();
  const code = await containerInspectCommand({ file, json, cwd }, io);
  return { code, out: io.out.join(""), err: io.err.join("") };
}

describe("fedeval container inspect", () => {
  test("every MedPerf fixture inspects with exit 0 and lists each task", async () => {
    const files = readdirSync(medperf).filter((f) => f.endsWith(".yaml") && !f.endsWith("__parameters.yaml"));
    assert.equal(files.length, 8);
    for (const f of files) {
      const { code, out, err } = await inspect(`medperf/${f}`);
      assert.equal(code, 0, `${f}: ${out}`);
      assert.equal(err, "");
      assert.match(out, /^format: (MedPerf container_config\.yaml|MLCube mlcube\.yaml)\nimage: mlcommons\//);
      assert.match(out, /\ntask (prepare|infer|evaluate)\n {2}runs: /);
    }
  });

  test("text: format, image, and per task what runs and each mount's name, type and path", async () => {
    const { code, out } = await inspect("medperf/chestxray_tutorial__data_preparator__container_config.yaml");
    assert.equal(code, 0);
    const lines = out.split("\n");
    assert.deepEqual(lines.slice(0, 13), [
      "format: MedPerf container_config.yaml",
      "image: mlcommons/chestxray-tutorial-prep:0.0.1",
      "",
      "task prepare",
      "  runs: <image ENTRYPOINT> python3 /project/prepare.py",
      "  inputs (read-only):",
      "    data_path           directory  /mlcommons/volumes/raw_data",
      "    labels_path         directory  /mlcommons/volumes/raw_labels",
      "    parameters_file     file       /mlcommons/volumes/parameters/parameters_file.yaml",
      "  outputs (read-write):",
      "    output_path         directory  /mlcommons/volumes/data",
      "    output_labels_path  directory  /mlcommons/volumes/labels",
      "",
    ]);
    assert.ok(
      lines.includes("    output_path      file       /mlcommons/volumes/statistics/statistics.yaml"),
    );
  });

  test("text: a definition without a command runs the image's ENTRYPOINT and CMD", async () => {
    const { out } = await inspect("medperf/chestxray_tutorial__model_custom_cnn__container_config.yaml");
    assert.match(out, /\n {2}runs: <image ENTRYPOINT> <image CMD>\n/);
  });

  test("text: an mlcube.yaml shows the generated arguments, defaults and parent-directory mounts", async () => {
    const { code, out } = await inspect("medperf/ChestXRay__metrics__mlcube.yaml");
    assert.equal(code, 0);
    assert.match(out, /\nname: MLCommons Metrics\n/);
    assert.ok(
      out.includes(
        "  runs: <image ENTRYPOINT> evaluate --predictions=/mlcube_io0 --labels=/mlcube_io1 --parameters_file=/mlcube_io2/parameters.yaml --output_path=/mlcube_io3/results.yaml\n",
      ),
      out,
    );
    assert.ok(
      out.includes(
        "    output_path      file       /mlcube_io3/results.yaml  (default results.yaml; its directory is mounted at /mlcube_io3)\n",
      ),
      out,
    );
    assert.ok(
      out.includes(
        "    labels           directory  /mlcube_io1  (default labels; type inferred, not declared)\n",
      ),
      out,
    );
  });

  test("text: entrypoint words with spaces are quoted, run settings are listed", async () => {
    const { out } = await inspect("valid/mlcube-entrypoint.yaml");
    assert.ok(
      out.includes(
        "  runs: python3 '/app/run model.py' --mode infer --data_path=/mlcube_io0 --parameters_file=/mlcube_io1/parameters.yaml --checkpoint=/mlcube_io2/best.ckpt --output_path=/mlcube_io3\n",
      ),
      out,
    );
    assert.match(out, /\naccelerators: 2\n/);
    const runArgs = await inspect("valid/container-config-run-args.yaml");
    assert.ok(runArgs.out.includes("  runs: /bin/sh -c 'python3 /app/infer.py --fast'\n"), runArgs.out);
    assert.ok(runArgs.out.includes("  env: VERBOSE=True\n"));
    assert.ok(runArgs.out.includes("  shm size: 2gb\n"));
    assert.ok(runArgs.out.includes("  gpus: device=0,2\n"));
  });

  test("--json prints the normalized definition", async () => {
    const { code, out } = await inspect(
      "medperf/chestxray_tutorial__model_mobilenetv2__container_config.yaml",
      true,
    );
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), {
      containerType: "DockerImage",
      format: "medperf-container-config",
      image: "mlcommons/chestxray-tutorial-mobilenetv2:0.0.1",
      tasks: {
        infer: {
          name: "infer",
          inputs: [
            { name: "data_path", mountPath: "/mlcommons/volumes/data", type: "directory" },
            {
              name: "parameters_file",
              mountPath: "/mlcommons/volumes/parameters/parameters_file.yaml",
              type: "file",
            },
            { name: "additional_files", mountPath: "/mlcommons/volumes/additional_files", type: "directory" },
          ],
          outputs: [{ name: "output_path", mountPath: "/mlcommons/volumes/predictions", type: "directory" }],
          args: [],
        },
      },
    });
  });

  test("problems print as path:line:col: error FE5xx message [name], one per line, exit 1", async () => {
    const { code, out } = await inspect("invalid/relative-mount-path.yaml");
    assert.equal(code, 1);
    assert.equal(
      out,
      'invalid/relative-mount-path.yaml:7:21: error FE502 mount_path "mlcommons/volumes/data" of data_path must be an absolute path inside the container, other than / [invalid-mount-path]\n',
    );
    const types = await inspect("invalid/wrong-types.yaml");
    assert.equal(types.code, 1);
    const lines = types.out.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    for (const line of lines)
      assert.match(line, /^invalid\/wrong-types\.yaml:\d+:\d+: error FE100 \S.* \[schema\]$/);
  });

  test("--json on a bad file prints the diagnostics and exits 1", async () => {
    const { code, out } = await inspect("invalid/task-without-volumes.yaml", true);
    assert.equal(code, 1);
    const report = JSON.parse(out);
    assert.equal(report.file, "invalid/task-without-volumes.yaml");
    assert.deepEqual(
      report.diagnostics.map((d: { rule: string; line: number; col: number }) => [d.rule, d.line, d.col]),
      [["FE504", 4, 3]],
    );
  });

  test("the file is resolved against cwd", async () => {
    const { code } = await inspect("ChestXRay__metrics__mlcube.yaml", false, medperf);
    assert.equal(code, 0);
  });

  test("a missing file is a UserError", async () => {
    await assert.rejects(
      inspect("nope/container_config.yaml"),
      (e) => e instanceof UserError && /no such file/.test(e.message),
    );
  });
});
