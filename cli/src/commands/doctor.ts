/**
 * `fedeval doctor [--site S]`: checks that this machine can run a site (execution/site-checks.ts)
 * and prints one line per check, `ok`, `warn` or `fail`, with what to fix.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { workspace } from "../base/workspace.ts";
import { type Exec, execText } from "../site/hardware.ts";
import { runSiteChecks } from "../site/site-checks.ts";
import type { CommandIO } from "./io.ts";

export interface DoctorOptions {
  site?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  docker?: Docker;
  /** Runs git and nvidia-smi; default: the real programs on PATH. */
  exec?: Exec;
  ghConfigDir?: string;
}

/** Exit 0: nothing required fails (warnings allowed). Exit 1: something required fails. */
export async function doctorCommand(opts: DoctorOptions, io: CommandIO): Promise<number> {
  const ws = workspace(opts.env, opts.cwd);
  const results = await runSiteChecks({
    docker: opts.docker ?? new Docker(),
    env: opts.env,
    exec: opts.exec ?? execText,
    home: ws.home,
    ghConfigDir: opts.ghConfigDir ?? opts.env.GH_CONFIG_DIR ?? join(homedir(), ".config", "gh"),
    site: opts.site ? { id: opts.site, workspace: ws.site(opts.site) } : undefined,
  });
  const width = Math.max(...results.map((r) => r.check.length));
  for (const r of results) {
    io.stdout(`${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.detail}\n`);
    if (r.fix) io.stdout(`${" ".repeat(width + 8)}fix: ${r.fix}\n`);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  io.stdout(
    failed ? `${failed} required check${failed > 1 ? "s" : ""} failed\n` : "this machine can run fedeval\n",
  );
  return failed ? 1 : 0;
}
