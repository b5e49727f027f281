/** A model's page on one benchmark: the model's detail, linked into the site. */
import type { BenchmarkBoard, Leaderboard, ModelBoard } from "../types.ts";
import { type Link, PAGE, pathsFrom } from "./links.ts";
import { type ModelDetail, modelDetail } from "./model-detail.ts";
import { type PageBase, pageBase } from "./page-base.ts";

export interface ModelPage extends PageBase {
  benchmark: Link;
  /** The model's CSV, beside the page. */
  csv: string;
  model: ModelDetail;
}

export function modelView(lb: Leaderboard, b: BenchmarkBoard, m: ModelBoard): ModelPage {
  const paths = pathsFrom(PAGE.model(b.id, m.id));
  return {
    ...pageBase(
      `${m.title} on ${b.title}`,
      lb.build,
      paths,
      [
        { href: paths.benchmark(b.id), label: b.id },
        { href: null, label: m.id },
      ],
      false,
    ),
    benchmark: { href: paths.benchmark(b.id), label: b.title },
    csv: `${m.id}.csv`,
    model: modelDetail(b, m, paths),
  };
}
