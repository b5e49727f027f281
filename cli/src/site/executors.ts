/**
 * Where `fedeval run` runs a site's triples (`--executor`), one record per executor. Every one
 * runs the same tasks with the same runner (Docker or Podman) and writes into the same outbox
 * under the same lock and resume rules; only who starts the containers differs.
 */
import { UsageError } from "../base/errors.ts";
import { notHereYet } from "./runners.ts";

export const EXECUTORS = {
  local: "this machine: one triple at a time, or --parallel N at once",
  slurm: "one Slurm job per triple, submitted with sbatch",
} as const;

export type ExecutorKind = keyof typeof EXECUTORS;

/** `--executor` checked: a value no executor has is refused in one line naming those there are. */
export function executorKind(value: string): ExecutorKind {
  if (Object.hasOwn(EXECUTORS, value)) return value as ExecutorKind;
  throw new UsageError(
    `--executor ${value}: not available; supported: ${Object.entries(EXECUTORS)
      .map(([k, what]) => `${k} (${what})`)
      .join(", ")}${notHereYet(value)}`,
  );
}
