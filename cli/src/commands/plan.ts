/**
 * `fedeval plan --site S [--root GOV] [--json]`: the (benchmark, model, dataset) triples the site
 * should run, in order, with why; what waits in the outbox; and datasets that cannot run yet.
 * Rules: site/plan.ts.
 */
import { type Plan, planSiteWork, type SitePlanRequest } from "../app/plan.ts";
import type { CommandIO } from "./io.ts";

/** The plan's request, less the logger (the command's). */
export interface PlanOptions extends Omit<SitePlanRequest, "logger"> {
  json?: boolean;
}

/** Exit 0 (a plan with blocked datasets is still a plan: they are listed with what to do). */
export async function planCommand(opts: PlanOptions, io: CommandIO): Promise<number> {
  const plan = await planSiteWork({ ...opts, logger: io.logger });
  io.stdout(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
  return 0;
}

export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  const n = plan.triples.length;
  lines.push(`site ${plan.site}: ${n} triple${n === 1 ? "" : "s"} to run`);
  const width = (key: "benchmark" | "model" | "dataset") =>
    Math.max(0, ...plan.triples.map((t) => t[key].length));
  plan.triples.forEach((t, i) => {
    lines.push(
      `  ${String(i + 1).padStart(String(n).length)}. ${t.benchmark.padEnd(width("benchmark"))}  ${t.model.padEnd(width("model"))}  ${t.dataset.padEnd(width("dataset"))}  ${t.reasons.join(", ")}`,
    );
  });
  if (plan.waiting.length) {
    lines.push(
      `waiting in the outbox, or for their pull request to be merged (${plan.waiting.length}; see \`fedeval outbox ls [--sent]\`):`,
    );
    for (const w of plan.waiting)
      lines.push(
        `  ${w.benchmark}  ${w.model}  ${w.dataset}  ${w.state}  ${w.entry}${w.pullRequest ? `  ${w.pullRequest}` : ""}`,
      );
  }
  if (plan.blocked.length) {
    lines.push(`datasets that cannot run (${plan.blocked.length}):`);
    for (const b of plan.blocked) {
      lines.push(
        `  ${b.benchmark}  ${b.dataset} (${b.models} model${b.models === 1 ? "" : "s"}): ${b.reason}`,
      );
    }
  }
  lines.push(...pendingLines(plan));
  lines.push(`up to date: ${plan.current} result${plan.current === 1 ? "" : "s"} in the repository`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}

/** Models and datasets that add triples once approved (or registered): why they are not in the plan. */
export function pendingLines(plan: Plan): string[] {
  if (!plan.pending.length) return [];
  return [
    `not approved yet, so not in the plan (${plan.pending.length}):`,
    ...plan.pending.map((p) => `  ${p.benchmark}  ${p.kind} ${p.id}: ${p.reason}`),
  ];
}
