/**
 * Every rule the validator enforces, with a stable id and name. Ids never change meaning;
 * retired ids are not reused. FE0xx: reading files; FE1xx: schema and identity; FE2xx: cross-file
 * references and invariants; FE3xx: signatures; FE4xx: ownership; FE5xx: container definitions;
 * FE6xx: signed committee decisions and what a change does to the repository.
 */
export const RULES = {
  FE001: ["unknown-file", "a file under sites/ or benchmarks/ that is not at a governance path"],
  FE002: ["empty-file", "an empty file"],
  FE003: ["yaml-syntax", "malformed YAML, or more than one document"],
  FE004: ["duplicate-key", "a mapping with the same key twice"],
  FE005: ["alias-bomb", "too many alias expansions (billion laughs)"],
  FE006: ["symlink", "a symbolic link"],
  FE007: ["file-too-large", "a file above the size limit"],
  FE008: ["not-utf8", "a file that is not UTF-8"],
  FE009: [
    "control-character",
    "a control character, Unicode line separator or bidirectional control in a file",
  ],
  FE010: ["too-complex", "a file that takes longer than the time budget to read"],
  FE011: ["too-many-keys", "a mapping with more keys than allowed"],
  FE100: ["schema", "the file does not match its JSON Schema"],
  FE102: ["id-mismatch", "the id in the file differs from its path"],
  FE201: ["unknown-model", "a result for a model the benchmark does not have"],
  FE202: ["unknown-dataset", "a result for a dataset the benchmark does not have"],
  FE203: ["unknown-site", "a dataset of a site that is not registered"],
  FE204: ["unknown-container", "a container reference whose definition file does not exist"],
  FE205: ["unapproved-association", "a result for a model or dataset that is not approved"],
  FE206: ["image-mismatch", "a result whose images or additional files differ from the approved ones"],
  FE207: ["metric-mismatch", "metrics that are not exactly the benchmark's declared metrics"],
  FE208: ["stale-preparation", "a dataset prepared with another preparation image than the benchmark's"],
  FE209: ["dataset-hash-mismatch", "a result computed on another dataset hash than the registered one"],
  FE210: ["benchmark-version", "a result for a benchmark version that does not exist"],
  FE211: ["primary-metric", "a benchmark without exactly one primary metric"],
  FE212: ["duplicate-metric", "a metric id declared twice"],
  FE213: ["unknown-metric", "a reference to a metric the benchmark does not declare"],
  FE214: ["unpublished-statistic", "a dataset publishes a statistic the benchmark does not allow"],
  FE215: [
    "small-cell",
    "a subgroup cell under the minimum count that is not suppressed, or an undeclared stratum",
  ],
  FE216: ["out-of-range", "a metric value outside its declared range"],
  FE217: ["isolation-required", "a result produced without isolation for a benchmark that requires it"],
  FE218: ["missing-task", "a container definition without the task its role needs"],
  FE220: ["comparable-with", "comparable_with names the current or a later version"],
  FE221: ["missing-benchmark", "a benchmark folder without benchmark.yaml"],
  FE222: [
    "metric-payload",
    "a metric value without what its pooling method needs, or with an inconsistent one",
  ],
  FE223: ["duplicate-key-id", "a site lists two keys with the same id"],
  FE224: ["time-order", "a result that finished before it started, or was approved before it finished"],
  FE225: ["demo-data-path", "a demo dataset path outside the benchmark's demo/ folder"],
  FE226: [
    "metric-disagreement",
    "a metric value that disagrees with the confusion counts or score histogram reported beside it",
  ],
  FE227: [
    "undeclared-cell",
    "a subgroup cell or published category that the benchmark does not declare, or a stratum without declared cells",
  ],
  FE228: [
    "version-bump",
    "a change to a benchmark's images or metrics that does not bump its version, or a version that goes down",
  ],
  FE229: [
    "placeholder",
    "a value fedeval init leaves for people to replace: the example login or an example image digest",
  ],
  FE230: [
    "excess-precision",
    "a metric value, se or ci bound with more significant digits than the metric's declared precision",
  ],
  FE231: ["archive-hash", "a reference to a DockerArchive definition without archive_sha256"],
  FE301: ["unsigned-result", "a result without approval or signature"],
  FE302: ["unknown-key", "a signature by a key the dataset's site does not list"],
  FE303: ["revoked-key", "a signature by a key that was revoked (or not yet created) at approval time"],
  FE304: ["bad-signature", "a signature that does not verify over the result's canonical form"],
  FE401: ["not-owner", "the author may not change this path"],
  FE402: ["self-approval-by-author", "the author approves their own request"],
  FE403: [
    "codeowners-stale",
    ".github/CODEOWNERS differs from the ownership the governance files declare (`fedeval codeowners`)",
  ],

  FE601: [
    "approval-signature",
    "an approval whose signature does not verify over this file's subject and content: forged, altered, or copied from another approval",
  ],
  FE602: [
    "approval-not-member",
    "an approval by someone who is not a committee member, or by a key the member does not list",
  ],
  FE603: [
    "approval-key-time",
    "an approval by a key that was revoked, or not yet created, when it was signed",
  ],
  FE604: ["approval-by-requester", "an approval signed by whoever requested what it approves"],
  FE605: [
    "approval-quorum",
    "a status approved, rejected or suspended without enough valid committee signatures over what the file says now",
  ],
  FE606: [
    "approval-replay",
    "an approval that repeats an earlier one or is older than the one listed before it",
  ],
  FE607: ["approval-new-key", "an approval signed with a member or key that the same change adds"],
  FE608: ["approval-history", "a change that edits or removes recorded approvals"],
  FE609: [
    "benchmark-unapproved",
    "a change to a benchmark's definition (version, members, keys, containers, policy) without enough approvals of the members listed before it",
  ],
  FE611: ["merge-conflict", "a change that does not merge cleanly into its base"],

  FE501: [
    "unknown-container-format",
    "a file that is neither a MedPerf container_config.yaml nor an MLCube mlcube.yaml",
  ],
  FE502: ["invalid-mount-path", "a mount path that is not absolute, or is /"],
  FE503: ["duplicate-mount-path", "two mounts of one task at the same container path"],
  FE504: ["task-without-mounts", "a task that mounts nothing"],
  FE505: ["missing-mount", "a MedPerf task without a mount that fedeval fills or reads"],
  FE506: ["mount-type", "a MedPerf mount declared a file where fedeval passes a directory, or the reverse"],
  FE507: ["untyped-output", "an MLCube output parameter whose type cannot be known"],
  FE508: ["unsupported-container-type", "a container type fedeval cannot run"],
  FE509: ["invalid-command", "a command or entrypoint with an unbalanced quote"],
  FE510: ["input-and-output", "a name that is both an input and an output of one task"],
} as const satisfies Record<string, readonly [string, string]>;

export type RuleId = keyof typeof RULES;

export function ruleName(id: RuleId): string {
  return RULES[id][0];
}
