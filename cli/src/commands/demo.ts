import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runDemo } from "../app/demo/run-demo.ts";
import type { Leaderboard } from "../leaderboard/types.ts";
import type { CommandIO } from "./io.ts";

export interface DemoCommandOptions {
  dir?: string;
  runner: "auto" | "docker" | "process";
  /** Copy the final governance tree into this folder (how this repository's own tree is made). */
  exportTo?: string;
  cwd: string;
}

const fixed = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? "–" : v.toFixed(d));

/** The leaderboard's ranked table for the terminal: model, pooled primary metric with its interval, rank interval, worst site. */
export function leaderboardTable(board: Leaderboard): string {
  const lines: string[] = [];
  for (const b of board.benchmarks) {
    lines.push(
      `${b.title} (${b.id} v${b.version}), ${b.sites.length} sites, primary metric ${b.primary_metric}`,
    );
    const rows = [["rank", "model", `${b.primary_metric} pooled [95% CI]`, "worst site", "sites"]];
    const models = [...b.models].sort((x, y) => (x.rank?.rank ?? 1e9) - (y.rank?.rank ?? 1e9));
    for (const m of models) {
      const metric = m.metrics[b.primary_metric];
      const p = metric?.pooled;
      const worst = metric?.spread?.worst;
      rows.push([
        m.rank ? (m.rank.low === m.rank.high ? `${m.rank.low}` : `${m.rank.low}–${m.rank.high}`) : "–",
        m.id,
        p ? `${fixed(p.estimate)} [${fixed(p.ci_low)}, ${fixed(p.ci_high)}]` : "–",
        worst ? `${fixed(worst.value)} (${worst.site})` : "–",
        `${m.coverage.sites}/${m.coverage.of}`,
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    for (const r of rows) lines.push(`  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  const dir = resolve(opts.cwd, opts.dir ?? join(tmpdir(), "fedeval-demo"));
  const started = performance.now();
  const exportTo = opts.exportTo ? resolve(opts.cwd, opts.exportTo) : undefined;
  const outcome = await runDemo({ dir, runner: opts.runner, logger: io.logger, exportTo });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  io.stdout(`\n${leaderboardTable(outcome.leaderboard as Leaderboard)}\n`);
  io.stdout(`leaderboard: ${join(outcome.pages, "index.html")}\n`);
  io.stdout(`governance repository (bare git remote): ${outcome.remote}\n`);
  io.stdout(`runner: ${outcome.runner}; everything is in ${outcome.dir} (${seconds} s)\n`);
  if (exportTo) io.stdout(`governance tree copied to ${exportTo} (sites/, benchmarks/)\n`);
  return 0;
}
