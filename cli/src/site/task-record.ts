/**
 * What each container task received and how it ended, for `fedeval test`: a runner that passes
 * every call to the real one and keeps, per task, the image, what runs, every mount (host path,
 * path in the container, read-only or not), the parameters file's text and the environment the
 * definition sets. Read from the request the real runner gets, so it is what the runner mounts.
 */
import { readFile } from "node:fs/promises";
import type { ContainerRunner, TaskRunOutcome, TaskRunRequest } from "../containers/runner.ts";
import type { Mount } from "../containers/types.ts";

export interface ReceivedMount {
  /** MedPerf's name: data_path, parameters_file, output_path, ... */
  name: string;
  /** Where the container sees it. */
  containerPath: string;
  hostPath: string;
  type: Mount["type"];
  readOnly: boolean;
}

export interface TaskRecord {
  task: string;
  /** The image as pinned, and its local id. */
  image: { ref: string; id: string };
  /** Entrypoint (absent: the image's) and command with the definition's arguments. */
  entrypoint?: string[];
  command: string[];
  mounts: ReceivedMount[];
  /** The text of the file mounted as `parameters_file`, when the task has one (benchmark parameters: public). */
  parameters?: string;
  /** Variables the definition sets (`run_args.environment`). */
  environment: Record<string, string>;
  outcome: TaskRunOutcome;
}

/** Parameters files are small; a larger one is shown cut. */
const MAX_PARAMETERS_CHARS = 4000;

/** `runner`, recording every task it runs into `records`, in order. */
export function recordingRunner(runner: ContainerRunner, records: TaskRecord[]): ContainerRunner {
  return {
    kind: runner.kind,
    isolation: runner.isolation,
    ensureImage: (ref, onProgress) => runner.ensureImage(ref, onProgress),
    async runTask(req: TaskRunRequest) {
      const { task } = req;
      const parametersPath = req.mounts.parameters_file;
      const parameters =
        parametersPath && task.inputs.some((m) => m.name === "parameters_file")
          ? await readFile(parametersPath, "utf8").then(
              (t) => (t.length > MAX_PARAMETERS_CHARS ? `${t.slice(0, MAX_PARAMETERS_CHARS)}…` : t),
              () => undefined,
            )
          : undefined;
      const outcome = await runner.runTask(req);
      const inputs = new Set(task.inputs);
      records.push({
        task: task.name,
        image: { ref: req.image.ref, id: req.image.id },
        ...(task.entrypoint ? { entrypoint: task.entrypoint } : {}),
        command: [...(task.command ?? []), ...task.args],
        mounts: [...task.inputs, ...task.outputs].map((m) => ({
          name: m.name,
          containerPath: m.mountPath,
          hostPath: req.mounts[m.name] ?? "",
          type: m.type,
          readOnly: inputs.has(m),
        })),
        ...(parameters !== undefined ? { parameters } : {}),
        environment: { ...task.environment },
        outcome,
      });
      return outcome;
    },
  };
}
