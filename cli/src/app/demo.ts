/**
 * `fedeval demo`: the whole federated evaluation on one machine (demo/run-demo.ts), timed, with
 * the leaderboard it built.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "../base/logger.ts";
import type { Leaderboard } from "../leaderboard/types.ts";
import { runDemo } from "./demo/run-demo.ts";

export type { Leaderboard } from "../leaderboard/types.ts";

export interface DemoRequest {
  /** Absolute folder for everything the demo makes (default: fedeval-demo in the temporary folder). */
  dir?: string;
  runner: "auto" | "docker" | "process";
  /** Absolute folder to copy the final governance tree into (sites/, benchmarks/). */
  exportTo?: string;
  logger: Logger;
  /** Test seams: the environment of the demo's CLI calls (default: the process's), the Docker client. */
  env?: NodeJS.ProcessEnv;
  docker?: Docker;
}

export interface DemoReport {
  runner: "docker" | "process";
  /** Where everything is. */
  dir: string;
  /** The governance repository: a bare git remote. */
  remote: string;
  /** The leaderboard's pages. */
  pages: string;
  leaderboard: Leaderboard;
  /** Where the governance tree was copied, when it was. */
  exportTo?: string;
  /** How long it took. */
  seconds: number;
}

export async function runFederatedDemo(request: DemoRequest): Promise<DemoReport> {
  const started = performance.now();
  const outcome = await runDemo({ ...request, dir: request.dir ?? join(tmpdir(), "fedeval-demo") });
  return {
    ...outcome,
    // leaderboard.json as `leaderboard build` wrote it
    leaderboard: outcome.leaderboard as Leaderboard,
    exportTo: request.exportTo,
    seconds: (performance.now() - started) / 1000,
  };
}
