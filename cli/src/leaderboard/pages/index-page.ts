/** The front page: every benchmark with its leader, and every site. */
import type { Leaderboard, MetricInfo } from "../types.ts";
import { DASH, metricTitle } from "./format.ts";
import { type Link, PAGE, pathsFrom } from "./links.ts";
import { type PageBase, pageBase } from "./page-base.ts";

export interface IndexPage extends PageBase {
  benchmarks: {
    link: Link;
    version: string;
    primary: string;
    models: string;
    sites: string;
    included: string;
    excluded: string;
    /** The first of the main ranking, or a dash. */
    leader: string;
  }[];
  sites: { link: Link; id: string; benchmarks: string }[];
}

export function indexView(lb: Leaderboard): IndexPage {
  const paths = pathsFrom(PAGE.index);
  const sites = new Map<string, { name: string; benchmarks: number }>();
  for (const b of lb.benchmarks) {
    for (const s of b.sites) {
      const seen = sites.get(s.id);
      if (seen) seen.benchmarks++;
      else sites.set(s.id, { name: s.name, benchmarks: 1 });
    }
  }
  return {
    ...pageBase("Leaderboards", lb.build, paths, [], false),
    benchmarks: lb.benchmarks.map((b) => {
      const leader = b.models.find((m) => m.rank?.rank === 1 && m.rank.cohort === "c1");
      const excluded = Object.values(b.results.excluded).reduce((a, c) => a + c, 0);
      return {
        link: { href: paths.benchmark(b.id), label: b.title },
        version: String(b.version),
        primary: metricTitle(b.metrics.find((m) => m.primary) as MetricInfo),
        models: String(b.models.length),
        sites: String(b.sites.length),
        included: String(b.results.included),
        excluded: String(excluded),
        leader: leader ? leader.title : DASH,
      };
    }),
    sites: [...sites]
      .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      .map(([id, s]) => ({
        link: { href: paths.site(id), label: s.name },
        id,
        benchmarks: String(s.benchmarks),
      })),
  };
}
