/**
 * Reads a container definition in either format people already have — MedPerf's
 * `container_config.yaml` or MLCube's `mlcube.yaml` — validates it, and normalizes it into the
 * format-free `ContainerDefinition` runners consume (types.ts).
 *
 * What the normalized interface says is what MedPerf does with the same file today:
 * - container_config (medperf/containers/parsers/simple_container.py, runners/docker_utils.py
 *   `craft_docker_run_command`): each volume's host path is bound at its `mount_path`, inputs
 *   read-only and outputs read-write; `run_args.entrypoint` becomes `--entrypoint` as one word;
 *   `run_args.command` (a string is `shlex.split`) follows the image; with no `command` nothing
 *   follows the image, so the image's own CMD runs.
 * - mlcube.yaml (medperf/containers/parsers/mlcube.py, which MedPerf kept to run registered
 *   MLCubes, and mlcube/shell.py `generate_mounts_and_args`): parameters, inputs then outputs, get
 *   mounts `/mlcube_io0`, `/mlcube_io1`, ... in order. A directory parameter is mounted there and
 *   passed as `--<name>=/mlcube_ioN`; a file parameter has its parent directory mounted there and
 *   is passed as `--<name>=/mlcube_ioN/<file name>`. Without a task `entrypoint` the image's
 *   ENTRYPOINT receives `<task> --<name>=<path> ...`; with one, its first word replaces the
 *   ENTRYPOINT, and the rest of it, then the parameters (no task name), follow.
 *   MLCube shares one mount between parameters whose host paths coincide; fedeval chooses a host
 *   path per parameter (as MedPerf does), so each parameter gets its own mount.
 */
import { posix } from "node:path";
import { compareDiagnostics, type Diagnostic } from "../base/diagnostics.ts";
import { UserError } from "../base/errors.ts";
import { type RuleId, ruleName } from "../formats/rules.ts";
import { validateSchema } from "../formats/schema-registry.ts";
import {
  diagnosticAtPath,
  type PathSegment,
  parseYaml,
  readSourceFile,
  type YamlSource,
} from "../formats/yaml-source.ts";
import { containerType } from "./container-types.ts";
import type { ContainerDefinition, Mount, TaskInterface } from "./types.ts";

/** Rules of container definitions (FE5xx, in validate/rules.ts). */
type ContainerRule = Extract<RuleId, `FE5${string}`>;
type MountType = Mount["type"];
type Io = "inputs" | "outputs";

/** Mounts fedeval fills or reads, by MedPerf task (DESIGN.md section 3). */
interface MountRule {
  io: Io;
  name: string;
  /** What fedeval mounts or expects there, for messages. */
  role: string;
  type?: MountType;
  /** False: only the type is checked when the mount is declared. */
  required: boolean;
}

const ANY_TASK_MOUNTS: MountRule[] = [
  {
    io: "inputs",
    name: "parameters_file",
    role: "the benchmark's parameters file",
    type: "file",
    required: false,
  },
  {
    io: "inputs",
    name: "additional_files",
    role: "the model's additional files",
    type: "directory",
    required: false,
  },
];

const TASK_MOUNTS: Record<string, MountRule[]> = {
  prepare: [
    { io: "inputs", name: "data_path", role: "the raw data", required: true },
    { io: "outputs", name: "output_path", role: "the prepared data", type: "directory", required: true },
  ],
  sanity_check: [{ io: "inputs", name: "data_path", role: "the prepared data", required: true }],
  statistics: [
    { io: "inputs", name: "data_path", role: "the prepared data", required: true },
    { io: "outputs", name: "output_path", role: "statistics.yaml", type: "file", required: true },
  ],
  infer: [
    { io: "inputs", name: "data_path", role: "the prepared data", required: true },
    { io: "outputs", name: "output_path", role: "the predictions", type: "directory", required: true },
  ],
  evaluate: [
    { io: "inputs", name: "predictions", role: "the model's predictions", type: "directory", required: true },
    { io: "inputs", name: "labels", role: "the dataset's labels", type: "directory", required: true },
    { io: "outputs", name: "output_path", role: "results.yaml", type: "file", required: true },
  ],
};

function mountRule(task: string, io: Io, name: string): MountRule | undefined {
  return [...(TASK_MOUNTS[task] ?? []), ...ANY_TASK_MOUNTS].find((r) => r.io === io && r.name === name);
}

export interface ParsedContainerDefinition {
  /** Present only when there is no error. */
  definition?: ContainerDefinition;
  diagnostics: Diagnostic[];
}

/** Detects the format of a parsed file, validates it and normalizes it. Never throws on bad input. */
export function parseContainerDefinition(source: YamlSource): ParsedContainerDefinition {
  const format = detectFormat(source.data);
  if (!format) {
    return {
      diagnostics: [
        at(
          source,
          [],
          "FE501",
          "not a container definition: expected a MedPerf container_config.yaml (container_type, image, tasks.<task>.input_volumes) or an MLCube mlcube.yaml (docker.image, tasks.<task>.parameters)",
        ),
      ],
    };
  }
  const schemaDiagnostics = validateSchema(format, source);
  if (schemaDiagnostics.length) return { diagnostics: schemaDiagnostics.sort(compareDiagnostics) };
  const check = new Checker(source);
  const definition =
    format === "mlcube"
      ? normalizeMlcube(source.data as MlcubeFile, check)
      : normalizeContainerConfig(source.data as ContainerConfigFile, check);
  for (const [name, task] of Object.entries(definition.tasks)) checkTaskMounts(check, format, name, task);
  const diagnostics = check.diagnostics.sort(compareDiagnostics);
  return diagnostics.some((d) => d.severity === "error") ? { diagnostics } : { definition, diagnostics };
}

/**
 * Reads and parses a definition file. `displayPath` is the path shown in diagnostics.
 * A missing or unreadable file is a UserError; everything wrong inside it is a diagnostic.
 */
export async function loadContainerDefinition(
  absPath: string,
  displayPath: string,
): Promise<ParsedContainerDefinition> {
  let read: Awaited<ReturnType<typeof readSourceFile>>;
  try {
    read = await readSourceFile(absPath, displayPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new UserError(`${displayPath}: no such file`);
    if (code === "EACCES" || code === "EPERM") throw new UserError(`${displayPath}: permission denied`);
    throw e;
  }
  if (read.text === undefined) return { diagnostics: read.diagnostics };
  const parsed = parseYaml(read.text, displayPath);
  if (!parsed.source) return { diagnostics: parsed.diagnostics };
  return parseContainerDefinition(parsed.source);
}

type Format = ContainerDefinition["format"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * MedPerf's rule (parsers/factory.py `_is_mlcube_yaml_file`): `container_type` means
 * container_config; otherwise a `docker` or `singularity` section means mlcube.yaml. Files with
 * neither are recognized by their tasks, so a container_config that lacks `container_type` is
 * told so by the schema rather than called unknown.
 */
function detectFormat(data: unknown): Format | undefined {
  if (!isRecord(data)) return undefined;
  if ("container_type" in data) return "medperf-container-config";
  if ("docker" in data || "singularity" in data) return "mlcube";
  const tasks = isRecord(data.tasks) ? Object.values(data.tasks).filter(isRecord) : [];
  if (tasks.some((t) => "parameters" in t || "entrypoint" in t)) return "mlcube";
  if (tasks.some((t) => "input_volumes" in t || "output_volumes" in t || "run_args" in t))
    return "medperf-container-config";
  return undefined;
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly source: YamlSource) {}
  error(path: PathSegment[], rule: ContainerRule, message: string, opts: { key?: boolean } = {}): void {
    this.diagnostics.push(at(this.source, path, rule, message, opts));
  }
}

function at(
  source: YamlSource,
  path: PathSegment[],
  rule: ContainerRule,
  message: string,
  opts: { key?: boolean } = {},
): Diagnostic {
  return diagnosticAtPath(source, path, rule, ruleName(rule), message, opts);
}

// --- MedPerf container_config.yaml ---------------------------------------------------------

interface ContainerConfigFile {
  container_type: string;
  image: string;
  tasks: Record<
    string,
    {
      run_args?: {
        command?: string | string[];
        entrypoint?: string;
        shm_size?: string;
        gpus?: number | string;
        environment?: Record<string, string | number | boolean>;
      };
      input_volumes?: Record<string, { mount_path: string; type: MountType }>;
      output_volumes?: Record<string, { mount_path: string; type: MountType }>;
    }
  >;
}

function normalizeContainerConfig(file: ContainerConfigFile, check: Checker): ContainerDefinition {
  const refused = containerType(file.container_type).refused;
  if (refused) check.error(["container_type"], "FE508", refused);
  const tasks: Record<string, TaskInterface> = {};
  for (const [name, t] of Object.entries(file.tasks)) {
    const volumes = (io: "input_volumes" | "output_volumes"): Mount[] =>
      Object.entries(t[io] ?? {}).map(([mount, v]) => ({
        name: mount,
        mountPath: v.mount_path,
        type: v.type,
      }));
    const task: TaskInterface = {
      name,
      inputs: volumes("input_volumes"),
      outputs: volumes("output_volumes"),
      args: [],
    };
    const run = t.run_args ?? {};
    if (run.entrypoint !== undefined) task.entrypoint = [run.entrypoint];
    if (run.command !== undefined) {
      const words = typeof run.command === "string" ? splitShellWords(run.command) : run.command;
      if (!words)
        check.error(
          ["tasks", name, "run_args", "command"],
          "FE509",
          "command has an unbalanced quote or a trailing backslash",
        );
      else if (words.length) task.command = words;
    }
    if (run.environment) {
      task.environment = Object.fromEntries(
        Object.entries(run.environment).map(([k, v]) => [k, pythonString(v)]),
      );
    }
    if (run.shm_size !== undefined) task.shmSize = run.shm_size;
    const gpus = normalizeGpus(run.gpus);
    if (gpus !== undefined) task.gpus = gpus;
    tasks[name] = task;
    checkMountPaths(check, name, t);
  }
  return { format: "medperf-container-config", containerType: file.container_type, image: file.image, tasks };
}

/** MedPerf formats environment values with Python's `f"{val}"`. */
function pythonString(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** As MedPerf's runners/utils.py `_normalize_gpu_arg`: 0, "0" and "" mean none. */
function normalizeGpus(gpus: number | string | undefined): TaskInterface["gpus"] {
  if (gpus === undefined || gpus === "" || gpus === 0 || gpus === "0") return undefined;
  if (typeof gpus === "number") return gpus;
  if (gpus === "all") return "all";
  if (/^[0-9]+$/.test(gpus)) return Number(gpus);
  return gpus.slice("device=".length).split(",");
}

function checkMountPaths(check: Checker, task: string, t: ContainerConfigFile["tasks"][string]): void {
  const seen = new Map<string, string>();
  for (const io of ["input_volumes", "output_volumes"] as const) {
    for (const [name, v] of Object.entries(t[io] ?? {})) {
      const path: PathSegment[] = ["tasks", task, io, name, "mount_path"];
      if (!posix.isAbsolute(v.mount_path) || posix.normalize(v.mount_path) === "/") {
        check.error(
          path,
          "FE502",
          `mount_path ${JSON.stringify(v.mount_path)} of ${name} must be an absolute path inside the container, other than /`,
        );
        continue;
      }
      const normalized = posix.normalize(v.mount_path).replace(/\/$/, "");
      const other = seen.get(normalized);
      if (other)
        check.error(
          path,
          "FE503",
          `${name} is mounted at ${v.mount_path}, where ${other} is already mounted`,
        );
      else seen.set(normalized, name);
    }
  }
}

// --- MLCube mlcube.yaml ----------------------------------------------------------------------

type MlcubeParameter = string | { type?: MountType | "unknown"; default?: string; opts?: string };

interface MlcubeFile {
  name?: string;
  description?: string;
  platform?: { accelerator_count?: number };
  docker: { image: string; gpu_args?: string };
  tasks: Record<
    string,
    {
      entrypoint?: string;
      parameters: { inputs?: Record<string, MlcubeParameter>; outputs?: Record<string, MlcubeParameter> };
    }
  >;
}

function normalizeMlcube(file: MlcubeFile, check: Checker): ContainerDefinition {
  const tasks: Record<string, TaskInterface> = {};
  const shmSize = shmSizeFromArgs(file.docker.gpu_args);
  for (const [name, t] of Object.entries(file.tasks)) {
    const task: TaskInterface = { name, inputs: [], outputs: [], args: [] };
    const parameterArgs: string[] = [];
    let index = 0;
    for (const io of ["inputs", "outputs"] as const) {
      for (const [param, raw] of Object.entries(t.parameters[io] ?? {})) {
        const mount = mlcubeMount(check, name, io, param, raw, `/mlcube_io${index++}`);
        task[io].push(mount);
        parameterArgs.push(`--${param}=${mount.mountPath}`);
      }
    }
    if (t.entrypoint !== undefined) {
      const words = splitShellWords(t.entrypoint);
      if (!words)
        check.error(
          ["tasks", name, "entrypoint"],
          "FE509",
          "entrypoint has an unbalanced quote or a trailing backslash",
        );
      else task.entrypoint = words;
      task.args = parameterArgs;
    } else {
      task.args = [name, ...parameterArgs];
    }
    if (shmSize !== undefined) task.shmSize = shmSize;
    tasks[name] = task;
  }
  const accelerators = file.platform?.accelerator_count;
  return {
    format: "mlcube",
    containerType: "DockerImage",
    image: file.docker.image,
    ...(file.name !== undefined ? { name: file.name } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    ...(accelerators ? { gpus: accelerators } : {}),
    tasks,
  };
}

/** MedPerf's parsers/mlcube.py `_parse_shm_size`: the value after `--shm-size` in `docker.gpu_args`. */
function shmSizeFromArgs(args: string | undefined): string | undefined {
  const words = args?.split(/\s+/) ?? [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--shm-size") return words[i + 1];
    if (w.startsWith("--shm-size=")) return w.slice("--shm-size=".length);
  }
  return undefined;
}

function mlcubeMount(
  check: Checker,
  task: string,
  io: Io,
  param: string,
  raw: MlcubeParameter,
  mountDir: string,
): Mount {
  // mlcube/config.py `check_parameters`: a string is the default; no default means the name; no
  // type is `unknown`, and a default ending in `/` is a directory.
  const def = typeof raw === "string" ? { default: raw } : raw;
  const path: PathSegment[] = ["tasks", task, "parameters", io, param];
  const defaultPath = def.default ?? param;
  let declared = def.type ?? "unknown";
  if (declared === "unknown" && defaultPath.endsWith("/")) declared = "directory";
  let type: MountType;
  let typeInferred = false;
  if (declared !== "unknown") {
    type = declared;
  } else if (io === "outputs") {
    // mlcube/shell.py refuses an output of unknown type: it cannot look at a path not yet written.
    check.error(
      path,
      "FE507",
      `output ${param} needs a type: write {type: file, default: ${defaultPath}} or {type: directory, default: ${defaultPath}}, or end the default with /`,
    );
    type = "directory";
  } else {
    type = mountRule(task, io, param)?.type ?? (hasFileExtension(defaultPath) ? "file" : "directory");
    typeInferred = true;
  }
  const mount: Mount = { name: param, mountPath: mountDir, type, default: defaultPath };
  if (type === "file") {
    mount.mountPath = `${mountDir}/${posix.basename(defaultPath)}`;
    mount.mountsParentDirectory = true;
  }
  if (typeInferred) mount.typeInferred = true;
  return mount;
}

/** `parameters.yaml`, `valid.csv`, `weights.pt`: yes. `data`, `CheXpert-v1.0-small`: no. */
function hasFileExtension(path: string): boolean {
  return /\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(posix.basename(path));
}

// --- Checks common to both formats ----------------------------------------------------------

function ioKey(format: Format, io: Io): PathSegment[] {
  if (format === "mlcube") return ["parameters", io];
  return [io === "inputs" ? "input_volumes" : "output_volumes"];
}

function checkTaskMounts(check: Checker, format: Format, name: string, task: TaskInterface): void {
  const taskPath: PathSegment[] = ["tasks", name];
  const noun = format === "mlcube" ? "parameter" : "volume";
  if (task.inputs.length === 0 && task.outputs.length === 0) {
    const where =
      format === "mlcube" ? "parameters.inputs or parameters.outputs" : "input_volumes or output_volumes";
    check.error(taskPath, "FE504", `task ${name} mounts nothing: declare its ${where}`, { key: true });
    return;
  }
  const inputs = new Set(task.inputs.map((m) => m.name));
  for (const m of task.outputs) {
    if (inputs.has(m.name)) {
      check.error(
        [...taskPath, ...ioKey(format, "outputs"), m.name],
        "FE510",
        `${m.name} is both an input and an output of task ${name}`,
        { key: true },
      );
    }
  }
  for (const io of ["inputs", "outputs"] as const) {
    for (const m of task[io]) {
      const rule = mountRule(name, io, m.name);
      if (rule?.type && m.type !== rule.type) {
        check.error(
          [...taskPath, ...ioKey(format, io), m.name],
          "FE506",
          `${m.name} must be a ${rule.type}: fedeval mounts ${rule.role} there`,
          { key: true },
        );
      }
    }
  }
  for (const rule of TASK_MOUNTS[name] ?? []) {
    if (!rule.required || task[rule.io].some((m) => m.name === rule.name)) continue;
    const where = rule.io === "inputs" ? "input" : "output";
    const verb = rule.io === "inputs" ? "mounts" : "reads";
    check.error(
      taskPath,
      "FE505",
      `task ${name} has no ${where} ${noun} ${rule.name}: fedeval ${verb} ${rule.role} there`,
      { key: true },
    );
  }
}

/**
 * Splits a command line as Python's `shlex.split` does (POSIX mode, no comments), which is how
 * MedPerf splits `run_args.command` and MLCube entrypoints. Undefined when a quote is not closed
 * or the line ends with a backslash.
 */
export function splitShellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i];
      else word += c;
    } else if (c === "\\") {
      if (i + 1 === line.length) return undefined;
      word += line[++i];
      inWord = true;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(word);
  return words;
}
