import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import {
  loadContainerDefinition,
  parseContainerDefinition,
  splitShellWords,
} from "../../src/containers/definition.ts";
import type { ContainerDefinition, TaskInterface } from "../../src/containers/types.ts";
import { checkValue, SCHEMAS } from "../../src/formats/schema-registry.ts";
import { parseYaml } from "../../src/formats/yaml-source.ts";

const repoRoot = resolve(import.meta.dirname, "../../..");
const fixtures = join(repoRoot, "cli/test/fixtures/containers");
const medperfCopies = join(fixtures, "medperf");
/** The shared folder CI checks out beside the clone; the copies above must stay identical to it. */
const medperfShared = resolve(repoRoot, "../shared/fixtures/medperf");

/** The workspace parameters files are inputs of the containers, not container definitions. */
const definitionFiles = readdirSync(medperfCopies)
  .filter((f) => f.endsWith(".yaml") && !f.endsWith("__parameters.yaml"))
  .sort();

async function load(dir: string, file: string): Promise<ContainerDefinition> {
  const { definition, diagnostics } = await loadContainerDefinition(join(dir, file), file);
  assert.deepEqual(diagnostics, [], `${file} has problems`);
  assert.ok(definition, `${file} has no definition`);
  return definition;
}

function task(def: ContainerDefinition, name: string): TaskInterface {
  const t = def.tasks[name];
  assert.ok(t, `no task ${name}`);
  return t;
}

describe("MedPerf fixtures", () => {
  test("the copies are byte-identical to the shared fixtures", () => {
    const copies = readdirSync(medperfCopies).sort();
    assert.equal(definitionFiles.length, 8);
    if (!existsSync(medperfShared)) return;
    assert.deepEqual(copies, readdirSync(medperfShared).sort());
    for (const f of copies) {
      assert.ok(
        readFileSync(join(medperfCopies, f)).equals(readFileSync(join(medperfShared, f))),
        `${f} differs`,
      );
    }
  });

  for (const file of definitionFiles) {
    test(`${file} inspects cleanly`, async () => {
      const def = await load(medperfCopies, file);
      assert.equal(def.format, file.endsWith("mlcube.yaml") ? "mlcube" : "medperf-container-config");
      assert.match(def.image, /^mlcommons\/[a-z0-9_-]+:[\w.-]+$/);
      for (const t of Object.values(def.tasks)) {
        for (const m of [...t.inputs, ...t.outputs]) assert.match(m.mountPath, /^\//, `${t.name}.${m.name}`);
      }
    });
  }

  test("a container_config task: volumes at their mount_path, the command split, nothing appended", async () => {
    const def = await load(medperfCopies, "chestxray_tutorial__data_preparator__container_config.yaml");
    assert.equal(def.image, "mlcommons/chestxray-tutorial-prep:0.0.1");
    assert.deepEqual(Object.keys(def.tasks), ["prepare", "sanity_check", "statistics"]);
    assert.deepEqual(task(def, "prepare"), {
      name: "prepare",
      inputs: [
        { name: "data_path", mountPath: "/mlcommons/volumes/raw_data", type: "directory" },
        { name: "labels_path", mountPath: "/mlcommons/volumes/raw_labels", type: "directory" },
        {
          name: "parameters_file",
          mountPath: "/mlcommons/volumes/parameters/parameters_file.yaml",
          type: "file",
        },
      ],
      outputs: [
        { name: "output_path", mountPath: "/mlcommons/volumes/data", type: "directory" },
        { name: "output_labels_path", mountPath: "/mlcommons/volumes/labels", type: "directory" },
      ],
      command: ["python3", "/project/prepare.py"],
      args: [],
    });
    assert.deepEqual(task(def, "statistics").outputs, [
      { name: "output_path", mountPath: "/mlcommons/volumes/statistics/statistics.yaml", type: "file" },
    ]);
    assert.deepEqual(task(def, "sanity_check").outputs, []);
  });

  test("a container_config without run_args runs the image's own ENTRYPOINT and CMD", async () => {
    for (const file of [
      "chestxray_tutorial__model_custom_cnn__container_config.yaml",
      "chestxray_tutorial__model_mobilenetv2__container_config.yaml",
    ]) {
      const infer = task(await load(medperfCopies, file), "infer");
      assert.equal(infer.entrypoint, undefined);
      assert.equal(infer.command, undefined);
      assert.deepEqual(infer.args, []);
      assert.deepEqual(
        infer.inputs.map((m) => [m.name, m.type, m.mountPath]),
        [
          ["data_path", "directory", "/mlcommons/volumes/data"],
          ["parameters_file", "file", "/mlcommons/volumes/parameters/parameters_file.yaml"],
          ["additional_files", "directory", "/mlcommons/volumes/additional_files"],
        ],
      );
      assert.deepEqual(infer.outputs, [
        { name: "output_path", mountPath: "/mlcommons/volumes/predictions", type: "directory" },
      ]);
    }
    const evaluate = task(
      await load(medperfCopies, "chestxray_tutorial__metrics__container_config.yaml"),
      "evaluate",
    );
    assert.deepEqual(
      evaluate.outputs.map((m) => [m.name, m.type, m.mountPath]),
      [["output_path", "file", "/mlcommons/volumes/results/results.yaml"]],
    );
  });

  test("an mlcube.yaml: /mlcube_ioN mounts, file parameters by their directory, `<task> --name=path` arguments", async () => {
    const def = await load(medperfCopies, "ChestXRay__chexpert_prep__mlcube.yaml");
    assert.equal(def.image, "mlcommons/chexpert-prep:0.1.0");
    assert.equal(def.name, "MLCommons Chexpert Preprocessor");
    assert.equal(def.gpus, undefined, "accelerator_count: 0 asks for no GPU");
    assert.deepEqual(task(def, "prepare"), {
      name: "prepare",
      inputs: [
        {
          name: "data_path",
          mountPath: "/mlcube_io0",
          type: "directory",
          default: "CheXpert-v1.0-small",
          typeInferred: true,
        },
        {
          name: "labels_path",
          mountPath: "/mlcube_io1/valid.csv",
          type: "file",
          default: "CheXpert-v1.0-small/valid.csv",
          mountsParentDirectory: true,
          typeInferred: true,
        },
        {
          name: "parameters_file",
          mountPath: "/mlcube_io2/parameters.yaml",
          type: "file",
          default: "parameters.yaml",
          mountsParentDirectory: true,
          typeInferred: true,
        },
      ],
      outputs: [{ name: "output_path", mountPath: "/mlcube_io3", type: "directory", default: "data/" }],
      args: [
        "prepare",
        "--data_path=/mlcube_io0",
        "--labels_path=/mlcube_io1/valid.csv",
        "--parameters_file=/mlcube_io2/parameters.yaml",
        "--output_path=/mlcube_io3",
      ],
    });
    const statistics = task(def, "statistics");
    assert.deepEqual(statistics.outputs, [
      {
        name: "output_path",
        mountPath: "/mlcube_io2/statistics.yaml",
        type: "file",
        default: "statistics.yaml",
        mountsParentDirectory: true,
      },
    ]);
    assert.deepEqual(task(def, "sanity_check").args, [
      "sanity_check",
      "--data_path=/mlcube_io0",
      "--parameters_file=/mlcube_io1/parameters.yaml",
    ]);
  });

  test("mlcube.yaml: declared types, accelerators, and the metrics and model cubes' arguments", async () => {
    const brats = await load(medperfCopies, "BraTS__model_nnunet__mlcube.yaml");
    assert.equal(brats.gpus, 1);
    assert.equal(brats.image, "mlcommons/fets_inference_nnunet:latest");
    assert.deepEqual(task(brats, "infer").inputs[0], {
      name: "data_path",
      mountPath: "/mlcube_io0",
      type: "directory",
      default: "data",
    });
    assert.deepEqual(task(brats, "infer").args, [
      "infer",
      "--data_path=/mlcube_io0",
      "--parameters_file=/mlcube_io1/parameters.yaml",
      "--output_path=/mlcube_io2",
    ]);
    const metrics = task(await load(medperfCopies, "ChestXRay__metrics__mlcube.yaml"), "evaluate");
    assert.deepEqual(
      metrics.inputs.map((m) => [m.name, m.type, m.mountPath]),
      [
        ["predictions", "directory", "/mlcube_io0"],
        ["labels", "directory", "/mlcube_io1"],
        ["parameters_file", "file", "/mlcube_io2/parameters.yaml"],
      ],
    );
    assert.deepEqual(metrics.outputs[0]?.mountPath, "/mlcube_io3/results.yaml");
    const densenet = task(await load(medperfCopies, "ChestXRay__xrv_densenet__mlcube.yaml"), "infer");
    assert.deepEqual(densenet.inputs[2], {
      name: "weights",
      mountPath: "/mlcube_io2/weights.pt",
      type: "file",
      default: "additional_files/weights.pt",
      mountsParentDirectory: true,
      typeInferred: true,
    });
  });
});

describe("other valid definitions", () => {
  const valid = join(fixtures, "valid");

  test("MedPerf run_args: entrypoint as one word, command list, environment, shm size, GPU devices", async () => {
    const infer = task(await load(valid, "container-config-run-args.yaml"), "infer");
    assert.deepEqual(infer.entrypoint, ["/bin/sh"]);
    assert.deepEqual(infer.command, ["-c", "python3 /app/infer.py --fast"]);
    assert.deepEqual(infer.args, []);
    assert.deepEqual(infer.environment, { OMP_NUM_THREADS: "4", VERBOSE: "True", MODE: "eval" });
    assert.equal(infer.shmSize, "2gb");
    assert.deepEqual(infer.gpus, ["0", "2"]);
  });

  test("an MLCube entrypoint replaces the image's and drops the task name; unknown top-level sections are accepted", async () => {
    const def = await load(valid, "mlcube-entrypoint.yaml");
    assert.equal(def.gpus, 2);
    const infer = task(def, "infer");
    assert.deepEqual(infer.entrypoint, ["python3", "/app/run model.py", "--mode", "infer"]);
    assert.equal(infer.command, undefined);
    assert.deepEqual(infer.args, [
      "--data_path=/mlcube_io0",
      "--parameters_file=/mlcube_io1/parameters.yaml",
      "--checkpoint=/mlcube_io2/best.ckpt",
      "--output_path=/mlcube_io3",
    ]);
    assert.equal(infer.shmSize, "8g");
    assert.deepEqual(infer.outputs, [
      { name: "output_path", mountPath: "/mlcube_io3", type: "directory", default: "output_path" },
    ]);
  });

  test("a run_args.gpus count of 0 or '0' asks for no GPU, as in MedPerf", () => {
    for (const gpus of ["0", "", "all", "3"]) {
      const text = `container_type: DockerImage\nimage: a/b:1\ntasks:\n  infer:\n    run_args: {gpus: "${gpus}"}\n    input_volumes: {data_path: {mount_path: /d, type: directory}}\n    output_volumes: {output_path: {mount_path: /p, type: directory}}\n`;
      const { source } = parseYaml(text, "gpus.yaml");
      assert.ok(source);
      const infer = parseContainerDefinition(source).definition?.tasks.infer;
      assert.ok(infer);
      assert.deepEqual(infer.gpus, { "0": undefined, "": undefined, all: "all", "3": 3 }[gpus]);
    }
  });
});

describe("invalid definitions", () => {
  const invalid = join(fixtures, "invalid");
  const cases: [file: string, rule: string, line: number, message: RegExp][] = [
    ["unknown-volume-type.yaml", "FE100", 8, /data_path\.type must be one of "file", "directory"/],
    ["missing-image.yaml", "FE100", 2, /missing required field "image"/],
    [
      "relative-mount-path.yaml",
      "FE502",
      7,
      /"mlcommons\/volumes\/data" of data_path must be an absolute path/,
    ],
    ["task-without-volumes.yaml", "FE504", 4, /task prepare mounts nothing/],
    [
      "duplicate-mount-path.yaml",
      "FE503",
      14,
      /output_path is mounted at \/mlcommons\/volumes\/data\/, where data_path is already mounted/,
    ],
    [
      "missing-output.yaml",
      "FE505",
      4,
      /task infer has no output volume output_path: fedeval reads the predictions there/,
    ],
    ["wrong-mount-type.yaml", "FE506", 9, /output_path must be a file: fedeval mounts results\.yaml there/],
    ["mlcube-untyped-output.yaml", "FE507", 8, /output output_path needs a type/],
    ["encrypted-singularity.yaml", "FE508", 1, /^EncryptedSingularityFile cannot run here/],
    [
      "singularity-file.yaml",
      "FE508",
      1,
      /^SingularityFile cannot run here: fedeval runs containers through a Docker Engine API \(Docker or Podman\), not Singularity; fedeval runs DockerImage .*, DockerArchive .* and EncryptedDockerArchive/,
    ],
    ["unbalanced-quote.yaml", "FE509", 6, /unbalanced quote/],
    ["mlcube-input-and-output.yaml", "FE510", 10, /data_path is both an input and an output of task prepare/],
    ["mlcube-no-parameters.yaml", "FE504", 4, /declare its parameters\.inputs or parameters\.outputs/],
    ["mlcube-singularity-only.yaml", "FE100", 1, /missing required field "docker"/],
    ["unknown-run-arg.yaml", "FE100", 7, /unknown field "privileged" in tasks\.infer\.run_args/],
    ["not-a-container.yaml", "FE501", 1, /not a container definition/],
  ];
  for (const [file, rule, line, message] of cases) {
    test(`${file}: ${rule} at line ${line}`, async () => {
      const { definition, diagnostics } = await loadContainerDefinition(join(invalid, file), file);
      assert.equal(definition, undefined);
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      const [d] = diagnostics;
      assert.equal(d?.rule, rule);
      assert.equal(d?.line, line);
      assert.equal(d?.file, file);
      assert.equal(d?.severity, "error");
      assert.match(d?.message ?? "", message);
    });
  }

  test("wrong types: one diagnostic per wrong node, at its line", async () => {
    const { definition, diagnostics } = await loadContainerDefinition(
      join(invalid, "wrong-types.yaml"),
      "wrong-types.yaml",
    );
    assert.equal(definition, undefined);
    assert.deepEqual(
      diagnostics.map((d) => [d.rule, d.line, d.message]),
      [
        ["FE100", 2, "image must be string, not number"],
        ["FE100", 6, "tasks.infer.run_args.command: must be a non-empty string or a list of strings"],
        ["FE100", 9, "tasks.infer.input_volumes.data_path.mount_path must be string, not array"],
        ["FE100", 11, "tasks.infer.output_volumes must be object, not string"],
      ],
    );
  });

  test("a workspace parameters file is not a container definition", async () => {
    const file = "chestxray_tutorial__data_preparator__workspace__parameters.yaml";
    const { diagnostics } = await loadContainerDefinition(join(medperfCopies, file), file);
    assert.deepEqual(
      diagnostics.map((d) => d.rule),
      ["FE501"],
    );
  });

  test("a missing file is a UserError", async () => {
    await assert.rejects(loadContainerDefinition(join(invalid, "absent.yaml"), "absent.yaml"), (e) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, "absent.yaml: no such file");
      return true;
    });
  });
});

describe("splitShellWords (Python shlex.split)", () => {
  const cases: [string, string[] | undefined][] = [
    ["python3 /project/prepare.py", ["python3", "/project/prepare.py"]],
    ["  a\tb\n c  ", ["a", "b", "c"]],
    [`python3 "/app/run model.py" --x='a b'`, ["python3", "/app/run model.py", "--x=a b"]],
    [`a "" ''`, ["a", "", ""]],
    [`"a \\" b" 'c \\ d' e\\ f`, [`a " b`, "c \\ d", "e f"]],
    [`"keep \\n backslash"`, ["keep \\n backslash"]],
    [`a "b`, undefined],
    [`a 'b`, undefined],
    ["a \\", undefined],
    ["# not a comment", ["#", "not", "a", "comment"]],
  ];
  for (const [line, words] of cases) {
    test(JSON.stringify(line), () => assert.deepEqual(splitShellWords(line), words));
  }
});

describe("container schemas", () => {
  for (const kind of ["medperf-container-config", "mlcube"] as const) {
    const schema = SCHEMAS[kind] as Record<string, unknown>;

    test(`${kind}: $id, title, and a description on every property at every level`, () => {
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(schema.$id, `https://fedeval.dev/schemas/${kind}.schema.json`);
      assert.equal(typeof schema.title, "string");
      const missing: string[] = [];
      let checked = 0;
      const walk = (node: unknown, at: string, needsDescription: boolean): void => {
        if (typeof node !== "object" || node === null || Array.isArray(node)) return;
        const n = node as Record<string, unknown>;
        if (needsDescription) {
          checked++;
          if (typeof n.description !== "string" || n.description.length < 3) missing.push(at);
        }
        for (const key of ["properties", "patternProperties", "$defs"]) {
          const children = n[key] as Record<string, unknown> | undefined;
          for (const [name, child] of Object.entries(children ?? {}))
            walk(child, `${at}/${key}/${name}`, true);
        }
        walk(n.additionalProperties, `${at}/additionalProperties`, true);
        walk(n.items, `${at}/items`, true);
        for (const key of ["oneOf", "anyOf", "allOf"]) {
          for (const [i, branch] of ((n[key] as unknown[] | undefined) ?? []).entries()) {
            walk(branch, `${at}/${key}/${i}`, false);
          }
        }
      };
      walk(schema, "#", true);
      assert.deepEqual(missing, []);
      assert.ok(checked >= 15, `only ${checked} schema nodes checked`);
    });

    test(`${kind}: the examples validate`, () => {
      const examples = schema.examples as unknown[];
      assert.ok(Array.isArray(examples) && examples.length > 0);
      for (const example of examples) assert.deepEqual(checkValue(kind, example), []);
    });
  }
});
