/**
 * Whether a result is still current: what it ran with (benchmark version, images, dataset hash)
 * against what the repository approves now. Used by the plan (a stale result is run again) and
 * the leaderboard (a stale result is left out until the site's next run replaces it).
 */
import type { Result } from "../governance/types.ts";

/** What a result must have run with to be current. */
export interface TripleInputs {
  benchmark_version: number;
  images: Result["provenance"]["images"];
  /** SHA-256 of the model's and the evaluator's additional files, for those that declare any. */
  additional_files?: NonNullable<Result["provenance"]["additional_files"]>;
  dataset_hash: string;
}

/** What changed since a result ran; empty when it is current. */
export function staleness(
  result: Result | Omit<Result, "approval" | "signature">,
  inputs: TripleInputs,
): string[] {
  const reasons: string[] = [];
  const p = result.provenance;
  if (result.benchmark.version !== inputs.benchmark_version) {
    reasons.push(`benchmark version changed (${result.benchmark.version} → ${inputs.benchmark_version})`);
  }
  if (p.images.model !== inputs.images.model) reasons.push("model image changed");
  if (p.images.evaluator !== inputs.images.evaluator) reasons.push("evaluator image changed");
  if (p.images.preparation !== inputs.images.preparation) reasons.push("preparation image changed");
  for (const role of ["model", "evaluator"] as const) {
    if (p.additional_files?.[role] !== inputs.additional_files?.[role]) {
      reasons.push(`${role} additional files changed`);
    }
  }
  if (p.dataset_hash !== inputs.dataset_hash) reasons.push("dataset hash changed");
  return reasons;
}
