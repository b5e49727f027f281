/** A site's page: on every benchmark, each model's run at the site and its values. */
import type { Leaderboard } from "../types.ts";
import { fmt } from "./format.ts";
import { type Link, PAGE, pathsFrom } from "./links.ts";
import { siteIndex } from "./model-values.ts";
import { type PageBase, pageBase } from "./page-base.ts";

/** One model's run at the site. */
export interface SiteRunRow {
  model: Link;
  muted: boolean;
  dataset: string;
  n: string;
  values: { text: string }[];
  signature: string;
  verified: boolean;
  /** Link to the run's provenance on the model page. */
  provenance: string;
}

export interface SitePage extends PageBase {
  id: string;
  name: string;
  csv: string;
  benchmarks: { link: Link; metrics: string[]; rows: SiteRunRow[] }[];
}

export function siteView(lb: Leaderboard, siteId: string): SitePage {
  const paths = pathsFrom(PAGE.site(siteId));
  let name = siteId;
  const benchmarks = lb.benchmarks
    .filter((b) => b.sites.some((s) => s.id === siteId))
    .map((b) => {
      name = b.sites.find((s) => s.id === siteId)?.name ?? name;
      return {
        link: { href: paths.benchmark(b.id), label: b.title },
        metrics: b.metrics.map((x) => x.title),
        rows: b.models.flatMap((m): SiteRunRow[] => {
          const entry = siteIndex(m).get(siteId);
          if (!entry) return [];
          const c = entry.cell;
          return [
            {
              model: { href: paths.model(b.id, m.id), label: m.title },
              muted: m.status !== "approved",
              dataset: c.dataset,
              n: c.n.toLocaleString("en-US"),
              values: b.metrics.map((x) => ({ text: fmt(entry.values.get(x.id)?.value) })),
              signature: c.verified ? "verified" : c.signature,
              verified: c.verified,
              provenance: `${paths.model(b.id, m.id)}#site-${siteId}`,
            },
          ];
        }),
      };
    });
  return {
    ...pageBase(name, lb.build, paths, [{ href: null, label: `site ${siteId}` }], false),
    id: siteId,
    name,
    csv: `${siteId}.csv`,
    benchmarks,
  };
}
