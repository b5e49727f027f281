/**
 * TypeScript shapes of governance files, as the JSON Schemas in `schemas/` define them.
 * The loader only hands these out for files that passed their schema.
 */

export type Principal = string;
export type AssociationStatus = "proposed" | "approved" | "rejected" | "suspended" | "withdrawn";

/** What a committee member decides about a benchmark, a model or a dataset. */
export type Decision = "approve" | "reject" | "suspend";

/**
 * A committee member's signed decision (governance/committee-approval.ts): ed25519 over the JCS
 * form of the subject, the decision, the signer and `content`, the digest of exactly what is approved.
 */
export interface Approval {
  decision: Decision;
  /** The member's GitHub login. */
  by: string;
  /** The id of the member's key. */
  key: string;
  at: string;
  /** `sha256:` of the JCS form of the approved content. */
  content: string;
  signature: string;
}

/** A committee member who signs approvals, with the public keys in benchmark.yaml. */
export interface Member {
  login: string;
  keys: SiteKey[];
}
export type AutoApproval = "NEVER" | "ALWAYS" | "ALLOWLIST";

export interface SiteKey {
  id: string;
  algorithm: "ed25519";
  public_key: string;
  created_at: string;
  revoked_at?: string;
}

export interface Site {
  schema: "fedeval/site@1";
  id: string;
  name: string;
  country?: string;
  contact?: string;
  owners: Principal[];
  runner_labels?: string[];
  keys?: SiteKey[];
}

/**
 * A container's additional files (MedPerf's `additional_files_tarball_url` / `_hash`): an archive by
 * URL, or an archive or folder at a path in the benchmark folder; `sha256` pins it.
 */
export interface AdditionalFilesSource {
  url?: string;
  path?: string;
  sha256: string;
}

export interface ContainerReference {
  image: string;
  config: string;
  /** SHA-256 of the archive at a DockerArchive definition's `image` URL (MedPerf's `image_hash`). */
  archive_sha256?: string;
  additional_files?: AdditionalFilesSource;
}

export type MetricGroup = "accuracy" | "calibration" | "robustness" | "fairness" | "efficiency" | "other";
export type Pooling = "mean" | "meta" | "counts" | "histogram";

export interface MetricSpec {
  id: string;
  title?: string;
  description?: string;
  group: MetricGroup;
  direction: "higher" | "lower";
  primary?: boolean;
  range?: [number, number];
  unit?: string;
  pooling: Pooling;
  /** The τ² estimator of random-effects pooling; REML when absent. */
  estimator?: "REML" | "DL";
  histogram_bins?: number;
  /** Where the evaluator writes it in results.yaml when not under its id: a key (`AUC`) or nested keys. */
  key?: string | string[];
  /** Significant digits of the metric's value, se and ci in results (default 4). */
  precision?: number;
}

export interface Benchmark {
  schema: "fedeval/benchmark@1";
  id: string;
  version: number;
  comparable_with?: number[];
  title: string;
  description: string;
  task: string;
  clinical_setting?: string;
  committee: Principal[];
  members?: Member[];
  containers: {
    preparation: ContainerReference;
    reference_model: ContainerReference;
    evaluator: ContainerReference;
  };
  demo_dataset?: { url?: string; path?: string; sha256: string };
  metrics: MetricSpec[];
  subgroups?: { min_cell: number; strata: string[]; cells: Record<string, string[]> };
  statistics_published?: string[];
  policy: {
    isolation_required: boolean;
    /** Read-only root file system, noexec /tmp (containers/docker-runner.ts); default false. */
    strict_isolation?: boolean;
    auto_approve?: { models: AutoApproval; datasets: AutoApproval; allowlist?: string[] };
    model_priority?: "declared" | "fifo";
    /** Members who must sign a decision (default 1); the requester never counts. */
    approvals?: number;
  };
  drift?: { metric: string; max_drop: number };
  approvals?: Approval[];
}

/** A model's decryption key sealed to one key of one site (results/key-grants.ts). */
export interface KeyGrant {
  site: string;
  key: string;
  sealed_key: string;
}

export interface Model {
  schema: "fedeval/model@1";
  id: string;
  title?: string;
  description?: string;
  owner: Principal[];
  container: ContainerReference;
  priority?: number;
  status: AssociationStatus;
  requested_by?: Principal;
  approvals?: Approval[];
  /** A new container proposed beside the approved one. */
  update?: { container: ContainerReference; requested_by?: Principal; approvals?: Approval[] };
  compatibility?: { demo_results?: Record<string, number | null>; ran_at?: string; tool?: string };
  key_grants?: KeyGrant[];
}

export interface Dataset {
  schema: "fedeval/dataset@1";
  id: string;
  site: string;
  prepared_with: string;
  hash: string;
  medperf_uid?: string;
  statistics: Record<string, number | Record<string, number>>;
  reference_result?: Record<string, number | null>;
  status: AssociationStatus;
  requested_by?: Principal;
  approvals?: Approval[];
  prepared_at?: string;
  /** A re-prepared dataset proposed beside the approved one. */
  update?: Pick<Dataset, "prepared_with" | "hash" | "statistics"> &
    Partial<Pick<Dataset, "medperf_uid" | "reference_result" | "prepared_at" | "requested_by" | "approvals">>;
}

export type NullReason = "not-applicable" | "undefined" | "suppressed" | "model-error" | "evaluator-error";

export interface MetricValue {
  value: number | null;
  reason?: NullReason;
  se?: number;
  ci?: [number, number];
  counts?: { tp: number; fp: number; tn: number; fn: number };
  histogram?: { bins: number; positive: number[]; negative: number[] };
  n?: number;
}

export type SubgroupCell =
  | { stratum: string; cell: string; n: number; metrics: Record<string, MetricValue>; suppressed?: undefined }
  | { stratum: string; cell: string; suppressed: true; n?: undefined; metrics?: undefined };

export interface Result {
  schema: "fedeval/result@1";
  benchmark: { id: string; version: number };
  model: string;
  dataset: string;
  n: number;
  metrics: Record<string, MetricValue>;
  subgroups?: SubgroupCell[];
  partial?: boolean;
  errors?: string[];
  provenance: {
    governance_commit: string;
    images: { model: string; evaluator: string; preparation: string };
    additional_files?: { model?: string; evaluator?: string };
    dataset_hash: string;
    tool: string;
    started_at: string;
    finished_at: string;
    hardware?: { cpu?: string; gpu?: string; memory_gb?: number };
    isolation: "docker-none-ro" | "none";
    latency_ms_per_case?: number;
  };
  approval?: { by: Principal; at: string; policy: "manual" | "site-policy" };
  signature?: { key: string; algorithm: "ed25519"; value: string };
}

export type GovernanceKind = "site" | "benchmark" | "model" | "dataset" | "result";
