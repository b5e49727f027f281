/**
 * FE229: values that `fedeval init` leaves for people to replace — the example login
 * `your-github-login` and the example image digests (all zeros but the last digit) — are warnings
 * wherever they stay, so an untouched scaffold never passes for a configured repository. The
 * sites, benchmarks, models and datasets are searched (results only copy their values).
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import { ruleName } from "../formats/rules.ts";
import { diagnosticAtPath, type PathSegment } from "../formats/yaml-source.ts";
import type { Entry, GovernanceIndex } from "../governance/loader.ts";

/** Logins the scaffold writes where people put theirs. */
const PLACEHOLDER_LOGINS = new Set(["your-github-login"]);

/** A sha256 digest of at least 56 zeros: the scaffold's example digests (…0001, …0002, …0003), or none at all. */
const PLACEHOLDER_DIGEST = /sha256:0{56}[0-9a-f]{8}\b/;

function placeholderIn(value: string): string | undefined {
  if (PLACEHOLDER_LOGINS.has(value.replace(/^@/, "").toLowerCase()))
    return `"${value}" is the example login fedeval init writes: put a real GitHub login or org/team here`;
  if (PLACEHOLDER_DIGEST.test(value))
    return `${value} is an example digest fedeval init writes: pin the image's real digest (docker inspect --format '{{index .RepoDigests 0}}' IMAGE)`;
  return undefined;
}

export function checkPlaceholders(index: GovernanceIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const search = (entry: Entry<unknown>, value: unknown, path: PathSegment[]) => {
    if (typeof value === "string") {
      const message = placeholderIn(value);
      if (message) {
        const d = diagnosticAtPath(entry.source, path, "FE229", ruleName("FE229"), message);
        d.severity = "warning";
        out.push(d);
      }
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value))
        search(entry, v, [...path, Array.isArray(value) ? Number(k) : k]);
    }
  };
  for (const site of index.sites.values()) search(site, site.data, []);
  for (const folder of index.benchmarks.values()) {
    for (const entry of [folder.benchmark, ...folder.models.values(), ...folder.datasets.values()])
      if (entry) search(entry, entry.data, []);
  }
  return out;
}
