import { join, resolve } from "node:path";
import { type Leaderboard, runFederatedDemo } from "../app/demo.ts";
import type { CommandIO } from "./io.ts";

export interface DemoCommandOptions {
  dir?: string;
  runner: "auto" | "docker" | "process";
  /** Copy the final governance tree into this folder (how this repository's own tree is made). */
  exportTo?: string;
  cwd: string;
}

const fixed = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? "–" : v.toFixed(d));

/** The leaderboard's ranked table for the terminal: model, pooled primary metric with its intervals, rank interval, worst site. */
export function leaderboardTable(board: Leaderboard): string {
  const lines: string[] = [];
  for (const b of board.benchmarks) {
    lines.push(
      `${b.title} (${b.id} v${b.version}), ${b.sites.length} sites, primary metric ${b.primary_metric}`,
    );
    const rows = [
      [
        "rank",
        "model",
        `${b.primary_metric} pooled [95% CI]`,
        "95% prediction interval",
        "worst site",
        "sites",
      ],
    ];
    const models = [...b.models].sort((x, y) => (x.rank?.rank ?? 1e9) - (y.rank?.rank ?? 1e9));
    for (const m of models) {
      const metric = m.metrics[b.primary_metric];
      const p = metric?.pooled;
      const worst = metric?.spread?.worst;
      rows.push([
        m.rank ? (m.rank.low === m.rank.high ? `${m.rank.low}` : `${m.rank.low}–${m.rank.high}`) : "–",
        m.id,
        p ? `${fixed(p.estimate)} [${fixed(p.ci_low)}, ${fixed(p.ci_high)}]` : "–",
        p?.pi_low != null ? `[${fixed(p.pi_low)}, ${fixed(p.pi_high)}]` : "–",
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
  const demo = await runFederatedDemo({
    dir: opts.dir === undefined ? undefined : resolve(opts.cwd, opts.dir),
    runner: opts.runner,
    exportTo: opts.exportTo ? resolve(opts.cwd, opts.exportTo) : undefined,
    logger: io.logger,
  });
  io.stdout(`\n${leaderboardTable(demo.leaderboard)}\n`);
  io.stdout(`leaderboard: ${join(demo.pages, "index.html")}\n`);
  io.stdout(`governance repository (bare git remote): ${demo.remote}\n`);
  io.stdout(`runner: ${demo.runner}; everything is in ${demo.dir} (${demo.seconds.toFixed(1)} s)\n`);
  if (demo.exportTo) io.stdout(`governance tree copied to ${demo.exportTo} (sites/, benchmarks/)\n`);
  return 0;
}
