/**
 * The demo benchmark: a committee's pleural-effusion task on synthetic chest X-ray features,
 * three hospitals whose populations differ, and three models (the reference, a good one, and one
 * that learned a shortcut on a subgroup). Used to write this repository's own `benchmarks/` and
 * `sites/`, and by `npm run demo`.
 *
 * Site keys are derived from public seeds: they are demo keys, and say so.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { toYaml } from "../../formats/yaml-write.ts";
import { signUndecided } from "../../governance/committee-approval.ts";
import { governanceFileText } from "../../governance/governance-file.ts";
import type { Benchmark, Dataset, Member, Model, Result, Site } from "../../governance/types.ts";

export const DEMO_BENCHMARK = "pleural-effusion-demo";

export const DEMO_SITES = [
  { id: "north-general", name: "North General Hospital (demo)", country: "NO", owners: ["north-it"] },
  { id: "east-valley", name: "East Valley Clinic (demo)", country: "SE", owners: ["east-valley-radiology"] },
  { id: "south-coast", name: "South Coast Hospital (demo)", country: "DK", owners: ["south-coast-it"] },
] as const;

export const DEMO_MODELS = [
  { id: "reference-logistic", title: "Reference logistic model", owner: ["demo-committee"], priority: 0 },
  { id: "effusion-net-v2", title: "EffusionNet v2", owner: ["acme-imaging"], priority: 10 },
  { id: "shortcut-cnn", title: "Shortcut CNN", owner: ["fastlane-ai"], priority: 5 },
] as const;

export const DEMO_COMMITTEE = ["demo-committee"];
/** The committee member who signs the demo's approvals (their GitHub login). */
export const DEMO_MEMBER = "demo-chair";
export const DEMO_CREATED_AT = "2026-11-01T09:00:00Z";

/** The demo committee member's ed25519 key, derived from a public seed (never use this scheme for real keys). */
export function demoMemberKey(): { id: string; privateKey: KeyObject; publicKey: string } {
  return { ...demoSiteKey(`member ${DEMO_MEMBER}`), id: "demo-chair-1" };
}

/** The `members:` entry of benchmark.yaml for the demo member's key. */
export function demoMember(): Member {
  const key = demoMemberKey();
  return {
    login: DEMO_MEMBER,
    keys: [{ id: key.id, algorithm: "ed25519", public_key: key.publicKey, created_at: DEMO_CREATED_AT }],
  };
}

/** A demo site's ed25519 key, derived from a public seed (never use this scheme for real keys). */
export function demoSiteKey(site: string): { id: string; privateKey: KeyObject; publicKey: string } {
  const seed = createHash("sha256").update(`fedeval demo site key ${site}`).digest();
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  return { id: "demo-1", privateKey, publicKey };
}

export interface DemoImages {
  preparation: string;
  evaluator: string;
  /** By model id; `reference-logistic` is also the benchmark's reference model. */
  models: Record<string, string>;
}

export function demoSite(site: (typeof DEMO_SITES)[number]): Site {
  const key = demoSiteKey(site.id);
  return {
    schema: "fedeval/site@1",
    id: site.id,
    name: site.name,
    country: site.country,
    owners: [...site.owners],
    runner_labels: ["self-hosted", "fedeval", site.id],
    keys: [{ id: key.id, algorithm: "ed25519", public_key: key.publicKey, created_at: DEMO_CREATED_AT }],
  };
}

export function demoBenchmark(images: DemoImages, members: Member[] = [demoMember()]): Benchmark {
  return {
    schema: "fedeval/benchmark@1",
    id: DEMO_BENCHMARK,
    version: 1,
    title: "Pleural effusion on frontal chest radiographs (synthetic demo)",
    description:
      "Binary detection of pleural effusion from six acquisition features of a frontal chest radiograph. The data are synthetic and generated deterministically at each site; the task, the metrics and the governance are those of a real benchmark.",
    task: "binary classification",
    clinical_setting: "Adult inpatients, first read of a frontal chest radiograph.",
    committee: [...DEMO_COMMITTEE],
    members,
    containers: {
      preparation: { image: images.preparation, config: "containers/prep.yaml" },
      reference_model: {
        image: images.models["reference-logistic"] as string,
        config: "containers/reference-logistic.yaml",
      },
      evaluator: { image: images.evaluator, config: "containers/evaluator.yaml" },
    },
    metrics: [
      {
        id: "auc",
        title: "AUROC",
        group: "accuracy",
        direction: "higher",
        primary: true,
        range: [0, 1],
        pooling: "histogram",
        histogram_bins: 20,
      },
      {
        id: "sensitivity",
        title: "Sensitivity at 0.5",
        group: "accuracy",
        direction: "higher",
        range: [0, 1],
        pooling: "counts",
      },
      {
        id: "specificity",
        title: "Specificity at 0.5",
        group: "accuracy",
        direction: "higher",
        range: [0, 1],
        pooling: "counts",
      },
      {
        id: "ece",
        title: "Expected calibration error",
        group: "calibration",
        direction: "lower",
        range: [0, 1],
        pooling: "meta",
      },
    ],
    subgroups: {
      min_cell: 20,
      strata: ["sex", "age_band", "scanner_vendor"],
      cells: {
        sex: ["F", "M"],
        age_band: ["18-39", "40-64", "65+"],
        scanner_vendor: ["vendor-a", "vendor-b"],
      },
    },
    statistics_published: ["num_cases", "label_counts", "sex", "age_band"],
    policy: {
      isolation_required: false,
      auto_approve: { models: "NEVER", datasets: "ALLOWLIST", allowlist: ["north-general"] },
      model_priority: "declared",
      approvals: 1,
    },
    drift: { metric: "auc", max_drop: 0.05 },
  };
}

export function demoModel(model: (typeof DEMO_MODELS)[number], image: string): Model {
  return {
    schema: "fedeval/model@1",
    id: model.id,
    title: model.title,
    owner: [...model.owner],
    container: { image, config: `containers/${model.id}.yaml` },
    priority: model.priority,
    status: "approved",
    // the committee's own reference model has no separate requester
    ...(model.id === "reference-logistic" ? {} : { requested_by: model.owner[0] }),
  };
}

/** MedPerf container_config.yaml text for a demo container. */
export function demoContainerConfig(image: string, role: "preparation" | "model" | "evaluator"): string {
  const v = (mount_path: string, type: "file" | "directory") => ({ mount_path, type });
  const params = v("/mlcommons/volumes/parameters/parameters_file.yaml", "file");
  const args = (task: string, names: Record<string, string>) =>
    `node /app/${role === "preparation" ? "prep" : role === "model" ? "model" : "evaluate"}.mjs ${task} ${Object.entries(
      names,
    )
      .map(([k, p]) => `--${k}=${p}`)
      .join(" ")}`;
  let tasks: object;
  if (role === "preparation") {
    const data = "/mlcommons/volumes/data";
    const labels = "/mlcommons/volumes/labels";
    tasks = {
      prepare: {
        run_args: {
          command: args("prepare", {
            data_path: "/mlcommons/volumes/raw_data",
            labels_path: "/mlcommons/volumes/raw_labels",
            parameters_file: params.mount_path,
            output_path: data,
            output_labels_path: labels,
          }),
        },
        input_volumes: {
          data_path: v("/mlcommons/volumes/raw_data", "directory"),
          labels_path: v("/mlcommons/volumes/raw_labels", "directory"),
          parameters_file: params,
        },
        output_volumes: { output_path: v(data, "directory"), output_labels_path: v(labels, "directory") },
      },
      sanity_check: {
        run_args: {
          command: args("sanity_check", {
            data_path: data,
            labels_path: labels,
            parameters_file: params.mount_path,
          }),
        },
        input_volumes: {
          data_path: v(data, "directory"),
          labels_path: v(labels, "directory"),
          parameters_file: params,
        },
      },
      statistics: {
        run_args: {
          command: args("statistics", {
            data_path: data,
            labels_path: labels,
            parameters_file: params.mount_path,
            output_path: "/mlcommons/volumes/statistics/statistics.yaml",
          }),
        },
        input_volumes: {
          data_path: v(data, "directory"),
          labels_path: v(labels, "directory"),
          parameters_file: params,
        },
        output_volumes: { output_path: v("/mlcommons/volumes/statistics/statistics.yaml", "file") },
      },
    };
  } else if (role === "model") {
    tasks = {
      infer: {
        run_args: {
          command: args("infer", {
            data_path: "/mlcommons/volumes/data",
            parameters_file: params.mount_path,
            output_path: "/mlcommons/volumes/predictions",
          }),
        },
        input_volumes: { data_path: v("/mlcommons/volumes/data", "directory"), parameters_file: params },
        output_volumes: { output_path: v("/mlcommons/volumes/predictions", "directory") },
      },
    };
  } else {
    tasks = {
      evaluate: {
        run_args: {
          command: args("evaluate", {
            predictions: "/mlcommons/volumes/predictions",
            labels: "/mlcommons/volumes/labels",
            parameters_file: params.mount_path,
            output_path: "/mlcommons/volumes/results/results.yaml",
          }),
        },
        input_volumes: {
          predictions: v("/mlcommons/volumes/predictions", "directory"),
          labels: v("/mlcommons/volumes/labels", "directory"),
          parameters_file: params,
        },
        output_volumes: { output_path: v("/mlcommons/volumes/results/results.yaml", "file") },
      },
    };
  }
  return toYaml({ container_type: "DockerImage", image, tasks });
}

/** The evaluator's parameters file: JSON (which is YAML), so the dependency-free container can read it. */
export const DEMO_EVALUATOR_PARAMETERS = `${JSON.stringify({ threshold: 0.5, histogram_bins: 20, bootstrap_rounds: 200, strata: ["sex", "age_band", "scanner_vendor"] })}\n`;

export interface DemoTree {
  images: DemoImages;
  datasets: Dataset[];
  results: Result[];
}

/**
 * Every file of the demo governance tree, by path relative to the governance root, its
 * associations signed by the demo member's seeded key; given other `members`, nothing is signed
 * (they sign with `fedeval approve`).
 */
export function demoGovernanceFiles(tree: DemoTree, members?: Member[]): Map<string, string> {
  const files = new Map<string, string>();
  const b = `benchmarks/${DEMO_BENCHMARK}`;
  for (const site of DEMO_SITES)
    files.set(
      `sites/${site.id}.yaml`,
      governanceFileText("site", demoSite(site), "Demo site: its key is derived from a public seed."),
    );
  files.set(`${b}/benchmark.yaml`, governanceFileText("benchmark", demoBenchmark(tree.images, members)));
  files.set(`${b}/containers/prep.yaml`, demoContainerConfig(tree.images.preparation, "preparation"));
  files.set(`${b}/containers/evaluator.yaml`, demoContainerConfig(tree.images.evaluator, "evaluator"));
  files.set(`${b}/containers/evaluator/parameters.yaml`, DEMO_EVALUATOR_PARAMETERS);
  for (const m of DEMO_MODELS) {
    const image = tree.images.models[m.id] as string;
    files.set(`${b}/containers/${m.id}.yaml`, demoContainerConfig(image, "model"));
    files.set(`${b}/models/${m.id}.yaml`, governanceFileText("model", demoModel(m, image)));
  }
  for (const d of tree.datasets) files.set(`${b}/datasets/${d.id}.yaml`, governanceFileText("dataset", d));
  for (const r of tree.results)
    files.set(`${b}/results/${r.dataset}/${r.model}.yaml`, governanceFileText("result", r));
  if (!members) signDemoTree(files, DEMO_BENCHMARK);
  return files;
}

/** Signs, as the demo member, every association of `benchmark` in `files` whose status needs a decision and has none. */
export function signDemoTree(files: Map<string, string>, benchmark: string): void {
  const key = demoMemberKey();
  signUndecided(
    files,
    benchmark,
    { login: DEMO_MEMBER, keyId: key.id, privateKey: key.privateKey },
    DEMO_CREATED_AT,
  );
}
