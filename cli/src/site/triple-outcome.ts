/** How one (benchmark, model, dataset) triple of a run ended, whichever executor ran it. */

/** `submitted`: handed to Slurm by a run that does not follow its jobs (`--executor slurm` without `--wait`). */
export type TripleStatus = "ok" | "partial" | "failed" | "interrupted" | "submitted";

export interface TripleOutcome {
  benchmark: string;
  model: string;
  dataset: string;
  status: TripleStatus;
  /** One line; never a value or a container's output. */
  message: string;
  /** The outbox entry written (ok, partial). */
  entry?: string;
  /** How many fields of results.yaml were dropped. */
  dropped: number;
  logFile: string;
}
