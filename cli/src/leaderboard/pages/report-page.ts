/** The self-contained evidence report of one model on one benchmark: no links leave the file. */
import type { BenchmarkBoard, Leaderboard, ModelBoard } from "../types.ts";
import { type ResultsSummary, resultsSummary, type SpecView, specView } from "./benchmark-summary.ts";
import { NO_LINKS } from "./links.ts";
import { type ModelDetail, modelDetail } from "./model-detail.ts";
import { type PageBase, pageBase } from "./page-base.ts";

export interface ReportPage extends PageBase {
  spec: SpecView;
  summary: ResultsSummary;
  model: ModelDetail;
}

export function reportView(lb: Leaderboard, b: BenchmarkBoard, m: ModelBoard): ReportPage {
  return {
    ...pageBase(`Evidence report: ${m.title} on ${b.title}`, lb.build, NO_LINKS, [], true),
    spec: specView(b),
    summary: resultsSummary(b),
    model: modelDetail(b, m, NO_LINKS),
  };
}
