/**
 * A benchmark's `policy.auto_approve`: which association requests need no committee review.
 * `ALWAYS`: every request; `ALLOWLIST`: requests from the GitHub logins, teams (`org/team`) or,
 * for datasets, site ids in `allowlist`; `NEVER` (or no policy): none. An auto-approved request
 * may say `status: approved` itself; merging its pull request is still needed.
 */
import type { Benchmark } from "./types.ts";

export type AutoApproved = "all" | "none" | readonly string[];

export function autoApproved(benchmark: Benchmark | undefined, kind: "models" | "datasets"): AutoApproved {
  const policy = benchmark?.policy?.auto_approve;
  switch (policy?.[kind]) {
    case "ALWAYS":
      return "all";
    case "ALLOWLIST":
      return policy.allowlist ?? [];
    default:
      return "none";
  }
}
