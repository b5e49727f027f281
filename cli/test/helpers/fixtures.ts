/**
 * The governance fixtures tests build their trees from: one benchmark (a pleural-effusion task), three
 * sites with ed25519 keys derived from public seeds, three models, the MedPerf container definitions
 * of the demo containers (demo/containers/*.mjs), and every file of such a tree. They are the tests'
 * own: the shipped demo (cli/src/app/demo/) may change without changing what the tests test.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { editYaml, toYaml } from "../../src/formats/yaml-write.ts";
import {
  approvedContent,
  contentDigest,
  STATUS_OF,
  type Subject,
  signApproval,
  signUndecided,
  updated,
} from "../../src/governance/committee-approval.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { classifyPath } from "../../src/governance/layout.ts";
import { benchmarkFolderFromTexts } from "../../src/governance/loader.ts";
import type {
  Approval,
  Benchmark,
  Dataset,
  Decision,
  Model,
  Result,
  Site,
} from "../../src/governance/types.ts";

export const BENCHMARK = "pleural-effusion-demo";
export const COMMITTEE = ["demo-committee"];
/** The committee member who signs the test tree's approvals. */
export const MEMBER = "committee-chair";
/** When the test tree's associations were approved. */
export const APPROVED_AT = "2026-11-02T09:00:00Z";
/** When the sites' keys were created. */
export const KEYS_CREATED_AT = "2026-11-01T09:00:00Z";
/** The id of every test site's key. */
export const SITE_KEY_ID = "demo-1";

/** A site of the test benchmark. */
export interface SiteFixture {
  id: string;
  name: string;
  country: string;
  owners: string[];
}

export const TEST_SITES: readonly SiteFixture[] = [
  { id: "north-general", name: "North General Hospital (demo)", country: "NO", owners: ["north-it"] },
  { id: "east-valley", name: "East Valley Clinic (demo)", country: "SE", owners: ["east-valley-radiology"] },
  { id: "south-coast", name: "South Coast Hospital (demo)", country: "DK", owners: ["south-coast-it"] },
];

/** A model of the test benchmark; `reference-logistic` is also the benchmark's reference model. */
export interface ModelFixture {
  id: string;
  title: string;
  owner: string[];
  priority: number;
}

export const TEST_MODELS: readonly ModelFixture[] = [
  { id: "reference-logistic", title: "Reference logistic model", owner: ["demo-committee"], priority: 0 },
  { id: "effusion-net-v2", title: "EffusionNet v2", owner: ["acme-imaging"], priority: 10 },
  { id: "shortcut-cnn", title: "Shortcut CNN", owner: ["fastlane-ai"], priority: 5 },
];

/** The image pins of the benchmark's containers. */
export interface TestImages {
  preparation: string;
  evaluator: string;
  /** By model id. */
  models: Record<string, string>;
}

/** A test site's first owner, who requests its datasets and approves its results; undefined for another site. */
export const siteOwner = (site: string): string | undefined =>
  TEST_SITES.find((s) => s.id === site)?.owners[0];

/** A committee member's ed25519 key, derived from a public seed (`MEMBER`'s by default). */
export function memberKey(
  login = MEMBER,
  id = "chair-1",
): { id: string; privateKey: KeyObject; publicKey: string } {
  return { ...seededKey(`fedeval test member key ${login} ${id}`), id };
}

/** The benchmark.yaml `members:` entry of a member with `memberKey(login, id)`. */
export function memberEntry(login = MEMBER, id = "chair-1", created_at = KEYS_CREATED_AT) {
  const key = memberKey(login, id);
  return { login, keys: [{ id, algorithm: "ed25519" as const, public_key: key.publicKey, created_at }] };
}

/** An ed25519 key pair from a public seed. */
function seededKey(phrase: string): { privateKey: KeyObject; publicKey: string } {
  const seed = createHash("sha256").update(phrase).digest();
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  return { privateKey, publicKey };
}

/** A test site's ed25519 key, derived from a public seed. */
export function siteKey(site: string): { id: string; privateKey: KeyObject; publicKey: string } {
  const seed = createHash("sha256").update(`fedeval test site key ${site}`).digest();
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  return { id: SITE_KEY_ID, privateKey, publicKey };
}

/** sites/<site>.yaml of a test site, listing its key. */
export function testSite(site: string): Site {
  const found = TEST_SITES.find((s) => s.id === site);
  if (!found) throw new Error(`no test site ${site}`);
  const { id, name, country, owners } = found;
  const key = siteKey(id);
  return {
    schema: "fedeval/site@1",
    id,
    name,
    country,
    owners: [...owners],
    runner_labels: ["self-hosted", "fedeval", id],
    keys: [{ id: key.id, algorithm: "ed25519", public_key: key.publicKey, created_at: KEYS_CREATED_AT }],
  };
}

/** The benchmark.yaml: four metrics (one of each pooling), three strata, auto-approval of north-general's datasets. */
export function testBenchmark(images: TestImages): Benchmark {
  const unit = { range: [0, 1] as [number, number] };
  return {
    schema: "fedeval/benchmark@1",
    id: BENCHMARK,
    version: 1,
    title: "Pleural effusion on frontal chest radiographs (synthetic demo)",
    description:
      "Binary detection of pleural effusion from six acquisition features of a frontal chest radiograph. The data are synthetic and generated deterministically at each site; the task, the metrics and the governance are those of a real benchmark.",
    task: "binary classification",
    clinical_setting: "Adult inpatients, first read of a frontal chest radiograph.",
    committee: [...COMMITTEE],
    members: [memberEntry()],
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
        ...unit,
        pooling: "histogram",
        histogram_bins: 20,
      },
      {
        id: "sensitivity",
        title: "Sensitivity at 0.5",
        group: "accuracy",
        direction: "higher",
        ...unit,
        pooling: "counts",
      },
      {
        id: "specificity",
        title: "Specificity at 0.5",
        group: "accuracy",
        direction: "higher",
        ...unit,
        pooling: "counts",
      },
      {
        id: "ece",
        title: "Expected calibration error",
        group: "calibration",
        direction: "lower",
        ...unit,
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
    },
    drift: { metric: "auc", max_drop: 0.05 },
  };
}

/** models/<model>.yaml of a test model, approved by the committee, running in `image`. */
export function testModel(model: string, image: string): Model {
  const m = TEST_MODELS.find((x) => x.id === model);
  if (!m) throw new Error(`no test model ${model}`);
  return {
    schema: "fedeval/model@1",
    id: m.id,
    title: m.title,
    owner: [...m.owner],
    container: { image, config: `containers/${m.id}.yaml` },
    priority: m.priority,
    status: "approved",
    // the committee's own reference model has no separate requester
    ...(m.id === "reference-logistic" ? {} : { requested_by: m.owner[0] }),
  };
}

interface Volume {
  mount_path: string;
  type: "file" | "directory";
}
const volume = (path: string, type: Volume["type"]): Volume => ({
  mount_path: `/mlcommons/volumes/${path}`,
  type,
});
const PARAMETERS = volume("parameters/parameters_file.yaml", "file");
const DATA = volume("data", "directory");
const LABELS = volume("labels", "directory");

/** Per role, the script of demo/containers/ it runs and its tasks' volumes, by the option names the script takes. */
const ROLES: Record<
  "preparation" | "model" | "evaluator",
  {
    script: string;
    tasks: Record<string, { inputs: Record<string, Volume>; outputs?: Record<string, Volume> }>;
  }
> = {
  preparation: {
    script: "prep",
    tasks: {
      prepare: {
        inputs: {
          data_path: volume("raw_data", "directory"),
          labels_path: volume("raw_labels", "directory"),
        },
        outputs: { output_path: DATA, output_labels_path: LABELS },
      },
      sanity_check: { inputs: { data_path: DATA, labels_path: LABELS } },
      statistics: {
        inputs: { data_path: DATA, labels_path: LABELS },
        outputs: { output_path: volume("statistics/statistics.yaml", "file") },
      },
    },
  },
  model: {
    script: "model",
    tasks: {
      infer: { inputs: { data_path: DATA }, outputs: { output_path: volume("predictions", "directory") } },
    },
  },
  evaluator: {
    script: "evaluate",
    tasks: {
      evaluate: {
        inputs: { predictions: volume("predictions", "directory"), labels: LABELS },
        outputs: { output_path: volume("results/results.yaml", "file") },
      },
    },
  },
};

/**
 * MedPerf container_config.yaml text for a container of `role` in `image`: each task runs
 * `node /app/<script>.mjs <task> --<volume>=<mount path> ...` over its inputs, the parameters file, and its outputs.
 */
export function containerConfig(image: string, role: keyof typeof ROLES): string {
  const { script, tasks } = ROLES[role];
  const config = Object.fromEntries(
    Object.entries(tasks).map(([task, { inputs, outputs }]) => {
      const input_volumes = { ...inputs, parameters_file: PARAMETERS };
      const options = Object.entries({ ...input_volumes, ...outputs }).map(
        ([k, v]) => `--${k}=${v.mount_path}`,
      );
      const command = [`node /app/${script}.mjs`, task, ...options].join(" ");
      return [
        task,
        { run_args: { command }, input_volumes, ...(outputs ? { output_volumes: outputs } : {}) },
      ];
    }),
  );
  return toYaml({ container_type: "DockerImage", image, tasks: config });
}

/** The evaluator's parameters file: JSON (which is YAML), so the dependency-free container can read it. */
export const EVALUATOR_PARAMETERS = `${JSON.stringify({ threshold: 0.5, histogram_bins: 20, bootstrap_rounds: 200, strata: ["sex", "age_band", "scanner_vendor"] })}\n`;

/** What a tree holds beyond the sites, the benchmark and its models. */
export interface TreeContents {
  images: TestImages;
  datasets: Dataset[];
  results: Result[];
}

/** Every file of a governance tree of the test benchmark, by path relative to the governance root. */
export function governanceFiles(tree: TreeContents): Map<string, string> {
  const files = new Map<string, string>();
  const b = `benchmarks/${BENCHMARK}`;
  for (const site of TEST_SITES)
    files.set(
      `sites/${site.id}.yaml`,
      governanceFileText("site", testSite(site.id), "Test site: its key is derived from a public seed."),
    );
  files.set(`${b}/benchmark.yaml`, governanceFileText("benchmark", testBenchmark(tree.images)));
  files.set(`${b}/containers/prep.yaml`, containerConfig(tree.images.preparation, "preparation"));
  files.set(`${b}/containers/evaluator.yaml`, containerConfig(tree.images.evaluator, "evaluator"));
  files.set(`${b}/containers/evaluator/parameters.yaml`, EVALUATOR_PARAMETERS);
  for (const m of TEST_MODELS) {
    const image = tree.images.models[m.id] as string;
    files.set(`${b}/containers/${m.id}.yaml`, containerConfig(image, "model"));
    files.set(`${b}/models/${m.id}.yaml`, governanceFileText("model", testModel(m.id, image)));
  }
  for (const d of tree.datasets) files.set(`${b}/datasets/${d.id}.yaml`, governanceFileText("dataset", d));
  for (const r of tree.results)
    files.set(`${b}/results/${r.dataset}/${r.model}.yaml`, governanceFileText("result", r));
  signTestTree(files);
  return files;
}

/** Signs, as `MEMBER`, every approved association of the test benchmark in `files` that has no approval yet. */
export function signTestTree(files: Map<string, string>): void {
  const key = memberKey();
  signUndecided(files, BENCHMARK, { login: MEMBER, keyId: key.id, privateKey: key.privateKey }, APPROVED_AT);
}

/**
 * Appends a committee decision on the model or dataset at `path` to `files`, signed by `login`'s
 * test key (`memberKey`) over what `files` say now, unless `content` or `subject` say otherwise
 * (to forge or replay). Returns the record.
 */
export function decide(
  files: Map<string, string>,
  path: string,
  opts: {
    login?: string;
    keyId?: string;
    decision?: Decision;
    at?: string;
    /** Sign this content digest instead of the file's. */
    content?: string;
    /** Sign this subject instead of the file's. */
    subject?: Subject;
    /** Append to update.approvals. */
    update?: boolean;
    /** Also set the status the decision gives. */
    setStatus?: boolean;
  } = {},
): Approval {
  const where = classifyPath(path);
  if (where.kind !== "model" && where.kind !== "dataset" && where.kind !== "benchmark")
    throw new Error(`${path} is not decided on`);
  const folder = benchmarkFolderFromTexts(where.benchmark, files);
  const kind = where.kind;
  const entry =
    where.kind === "model"
      ? folder.models.get(where.model)
      : where.kind === "dataset"
        ? folder.datasets.get(where.dataset)
        : folder.benchmark;
  if (!entry) throw new Error(`no ${path}`);
  const data = entry.data as Model | Dataset;
  const target = opts.update ? updated(data) : data;
  const login = opts.login ?? MEMBER;
  const keyId = opts.keyId ?? "chair-1";
  const decision = opts.decision ?? "approve";
  const record = signApproval(
    opts.subject ?? { benchmark: where.benchmark, kind, id: data.id },
    {
      decision,
      by: login,
      key: keyId,
      at: opts.at ?? "2026-11-03T09:00:00Z",
      content: opts.content ?? contentDigest(approvedContent(folder, kind, target)),
    },
    memberKey(login, keyId).privateKey,
  );
  const list = opts.update
    ? (data.update?.approvals ?? [])
    : ((data as { approvals?: Approval[] }).approvals ?? []);
  const edits: [(string | number)[], unknown][] = [
    [opts.update ? ["update", "approvals"] : ["approvals"], [...list, record]],
  ];
  if (opts.setStatus) edits.push([["status"], STATUS_OF[decision]]);
  files.set(path, editYaml(files.get(path) as string, edits));
  return record;
}
