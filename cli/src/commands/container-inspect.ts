/**
 * `fedeval container inspect FILE [--json]`: prints the normalized task interface of a MedPerf
 * container_config.yaml or an MLCube mlcube.yaml — per task, what runs and what is mounted where.
 */
import { resolve } from "node:path";
import {
  type ContainerDefinition,
  inspectContainerDefinition,
  type Mount,
  type TaskInterface,
} from "../app/container-inspect.ts";
import { renderText } from "../base/diagnostics-render.ts";
import type { CommandIO } from "./io.ts";

export interface ContainerInspectOptions {
  file: string;
  json: boolean;
  cwd: string;
}

/**
 * Exit 0: the definition is valid and printed (`--json`: the normalized `ContainerDefinition`).
 * Exit 1: problems, printed one per line (`--json`: `{file, diagnostics}`).
 */
export async function containerInspectCommand(opts: ContainerInspectOptions, io: CommandIO): Promise<number> {
  const { definition, diagnostics } = await inspectContainerDefinition({
    path: resolve(opts.cwd, opts.file),
    file: opts.file,
  });
  if (opts.json) {
    io.stdout(`${JSON.stringify(definition ?? { file: opts.file, diagnostics }, null, 2)}\n`);
    return definition ? 0 : 1;
  }
  io.stdout(renderText(diagnostics, io.isTTY && !process.env.NO_COLOR));
  if (!definition) return 1;
  io.stdout(renderDefinition(definition));
  return 0;
}

const FORMAT_NAMES: Record<ContainerDefinition["format"], string> = {
  "medperf-container-config": "MedPerf container_config.yaml",
  mlcube: "MLCube mlcube.yaml",
};

function renderDefinition(def: ContainerDefinition): string {
  const lines = [`format: ${FORMAT_NAMES[def.format]}`, `image: ${def.image}`];
  if (def.name !== undefined) lines.push(`name: ${def.name}`);
  if (def.description !== undefined) lines.push(`description: ${def.description}`);
  if (def.gpus !== undefined) lines.push(`accelerators: ${def.gpus}`);
  for (const task of Object.values(def.tasks)) lines.push("", ...renderTask(task));
  return `${lines.join("\n")}\n`;
}

function renderTask(task: TaskInterface): string[] {
  const lines = [`task ${task.name}`, `  runs: ${describeInvocation(task)}`];
  if (task.environment) {
    for (const [k, v] of Object.entries(task.environment)) lines.push(`  env: ${k}=${v}`);
  }
  if (task.shmSize !== undefined) lines.push(`  shm size: ${task.shmSize}`);
  if (task.gpus !== undefined)
    lines.push(`  gpus: ${Array.isArray(task.gpus) ? `device=${task.gpus.join(",")}` : task.gpus}`);
  const mounts = [...task.inputs, ...task.outputs];
  const nameWidth = Math.max(...mounts.map((m) => m.name.length));
  const row = (m: Mount) =>
    `    ${m.name.padEnd(nameWidth)}  ${m.type.padEnd(9)}  ${m.mountPath}${mountNotes(m)}`;
  if (task.inputs.length) lines.push("  inputs (read-only):", ...task.inputs.map(row));
  if (task.outputs.length) lines.push("  outputs (read-write):", ...task.outputs.map(row));
  return lines;
}

function mountNotes(m: Mount): string {
  const notes: string[] = [];
  if (m.default !== undefined) notes.push(`default ${m.default}`);
  if (m.typeInferred) notes.push("type inferred, not declared");
  if (m.mountsParentDirectory)
    notes.push(`its directory is mounted at ${m.mountPath.slice(0, m.mountPath.lastIndexOf("/"))}`);
  return notes.length ? `  (${notes.join("; ")})` : "";
}

/** The process the container starts, in the words of types.ts `TaskInterface`. */
function describeInvocation(task: TaskInterface): string {
  const cmd = [...(task.command ?? []), ...task.args];
  const entrypoint = task.entrypoint ? task.entrypoint.map(shellQuote) : ["<image ENTRYPOINT>"];
  const rest = cmd.length ? cmd.map(shellQuote) : task.entrypoint ? [] : ["<image CMD>"];
  return [...entrypoint, ...rest].join(" ");
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
