/** The self-contained evidence report of one model on one benchmark: no links leave the file. */
import { poolingOf } from "../../results/pooling.ts";
import type { BenchmarkBoard, Leaderboard, ModelBoard } from "../types.ts";
import { type ResultsSummary, resultsSummary, type SpecView, specView } from "./benchmark-summary.ts";
import { metricTitle } from "./format.ts";
import { NO_LINKS } from "./links.ts";
import { type ModelDetail, modelDetail } from "./model-detail.ts";
import { type PageBase, pageBase } from "./page-base.ts";

/** A term of the report and what it means, in a sentence a clinician can read. */
export interface MethodNote {
  term: string;
  text: string;
}

export interface ReportPage extends PageBase {
  spec: SpecView;
  summary: ResultsSummary;
  methods: MethodNote[];
  model: ModelDetail;
}

/** How the report's numbers are computed: each method in a sentence (Debray et al. 2019). */
const METHODS: MethodNote[] = [
  {
    term: "Pooled value (random effects)",
    text: "Hospitals differ in their patients, scanners and practice, so a model may truly perform better at one hospital than at another; the pooled value is the average of the hospitals' own values, each weighted by how precisely it was measured, and never a mix of one hospital's patients with another's.",
  },
  {
    term: "95% confidence interval (CI)",
    text: "The range that probably contains that average; it follows the Hartung–Knapp method, which takes into account how few hospitals there are, so with two to four hospitals it is wide on purpose.",
  },
  {
    term: "95% prediction interval (PI)",
    text: "Where the model's performance at a new hospital like these can be expected to lie; it is wider than the CI because it includes the real differences between hospitals, and it needs at least three hospitals.",
  },
  {
    term: "τ² and I²",
    text: "How much the hospitals' true values differ (τ², on the scale the values were pooled on) and which share of the differences seen is real rather than chance (I², in percent), each with a 95% interval.",
  },
  {
    term: "Values between 0 and 1",
    text: "A metric that can only lie between 0 and 1, such as an AUC or a sensitivity, is combined on the log-odds scale and converted back, so no interval goes below 0 or above 1; when a hospital reports exactly 0 or 1 the values are combined as they are, and the note says so.",
  },
  {
    term: "One hospital",
    text: "With one hospital nothing is pooled: the page shows that hospital's own value and interval.",
  },
  {
    term: "Ranks",
    text: "Each rank comes with the range of ranks the model took when the hospitals were drawn again at random and each hospital's value was varied by its own uncertainty; models whose ranges overlap share a tie group.",
  },
  {
    term: "Small subgroups",
    text: "A subgroup with fewer patients than the benchmark's minimum is never shown, whatever a result file contains.",
  },
];

export function reportView(lb: Leaderboard, b: BenchmarkBoard, m: ModelBoard): ReportPage {
  return {
    ...pageBase(`Evidence report: ${m.title} on ${b.title}`, lb.build, NO_LINKS, [], true),
    spec: specView(b),
    summary: resultsSummary(b),
    methods: [
      ...METHODS,
      ...b.metrics.map((x) => ({ term: metricTitle(x), text: poolingOf(x).explanation })),
    ],
    model: modelDetail(b, m, NO_LINKS),
  };
}
