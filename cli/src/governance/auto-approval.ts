/**
 * A benchmark's `policy.auto_approve`: which association requests need no committee review.
 * `ALWAYS`: every request; `ALLOWLIST`: requests from the GitHub logins, teams (`org/team`) or,
 * for datasets, site ids in `allowlist`; `NEVER` (or no policy): none. An auto-approved request
 * may say `status: approved` itself; merging its pull request is still needed.
 */
import type { Benchmark } from "./types.ts";

/**
 * Whether the policy approves a request without a committee review: the dataset's `site` (for
 * datasets) is on the allowlist, or `isRequester` says the requester is one of its principals.
 */
export async function approvesWithoutReview(
  benchmark: Benchmark | undefined,
  kind: "models" | "datasets",
  site: string | undefined,
  isRequester: (principals: readonly string[]) => boolean | Promise<boolean>,
): Promise<boolean> {
  const policy = benchmark?.policy?.auto_approve;
  switch (policy?.[kind]) {
    case "ALWAYS":
      return true;
    case "ALLOWLIST": {
      const allowlist = policy.allowlist ?? [];
      return (site !== undefined && allowlist.includes(site)) || (await isRequester(allowlist));
    }
    default:
      return false;
  }
}

/**
 * The same decision read from the file alone (on main, where no pull request author is known): the
 * policy is ALWAYS, or ALLOWLIST names the dataset's site or the recorded requester.
 */
export function policyApproves(
  benchmark: Benchmark | undefined,
  kind: "models" | "datasets",
  site: string | undefined,
  requester: string | undefined,
): boolean {
  const policy = benchmark?.policy?.auto_approve;
  if (policy?.[kind] === "ALWAYS") return true;
  if (policy?.[kind] !== "ALLOWLIST") return false;
  const allowlist = (policy.allowlist ?? []).map((p) => p.toLowerCase());
  return (
    (site !== undefined && allowlist.includes(site)) ||
    (!!requester && allowlist.includes(requester.toLowerCase()))
  );
}
