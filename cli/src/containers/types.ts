/**
 * The normalized task interface of a container, whichever format defined it
 * (MedPerf `container_config.yaml` or MLCube `mlcube.yaml`). Runners consume only this.
 */

/** MedPerf's task names; other names are kept but no fedeval step calls them. */
export type KnownTask = "prepare" | "sanity_check" | "statistics" | "infer" | "evaluate";

export interface Mount {
  /** Parameter name as the format spells it: data_path, labels_path, parameters_file, output_path, ... */
  name: string;
  /** Absolute path inside the container where the host path is mounted. */
  mountPath: string;
  type: "file" | "directory";
  /** MLCube only: the default host path relative to the MLCube workspace. */
  default?: string;
  /**
   * MLCube only: the file declares no type for this input (and its default does not end in `/`),
   * so MLCube would look at the host path at run time. `type` is then fedeval's inference: the
   * type fedeval passes for a MedPerf name (parameters_file, additional_files, predictions,
   * labels), else `file` when the default's last segment has a file extension, else `directory`.
   */
  typeInferred?: boolean;
  /**
   * MLCube only, file parameters: MLCube mounts the file's parent directory at
   * `dirname(mountPath)`, not the file itself, so the container also sees the file's siblings and
   * may replace the file. A runner matches MLCube by binding the host file's directory there, with
   * the file named `basename(mountPath)` inside it.
   */
  mountsParentDirectory?: boolean;
}

export interface TaskInterface {
  name: string;
  inputs: Mount[];
  outputs: Mount[];
  /**
   * What to execute, in Docker's terms: the container's Entrypoint is `entrypoint` (absent: the
   * image's ENTRYPOINT) and its Cmd is `[...(command ?? []), ...args]`. When that Cmd is empty the
   * image's CMD runs, unless `entrypoint` is set: then Docker drops the image's CMD, as
   * `docker run --entrypoint` does. `args` are the format's generated arguments (MLCube passes
   * `<task> --<name>=<mountPath> ...`; MedPerf's container_config passes none).
   */
  entrypoint?: string[];
  command?: string[];
  args: string[];
  /** Environment variables the definition sets (MedPerf `run_args.environment`). */
  environment?: Record<string, string>;
  /** Size of /dev/shm as `docker run --shm-size` takes it (`run_args.shm_size`; MLCube `--shm-size` in `docker.gpu_args`). */
  shmSize?: string;
  /** GPUs the task asks for (MedPerf `run_args.gpus`): a count, all, or device ids. Absent: none. */
  gpus?: number | "all" | string[];
}

export interface ContainerDefinition {
  format: "medperf-container-config" | "mlcube";
  /** MedPerf's `container_type` (container-types.ts); an mlcube.yaml is a `DockerImage`. */
  containerType: string;
  /** The image the definition names (often a tag; pinning happens in benchmark/model files). */
  image: string;
  name?: string;
  description?: string;
  /** Accelerators the definition asks for (MLCube `platform.accelerator_count`). */
  gpus?: number;
  tasks: Record<string, TaskInterface>;
}
