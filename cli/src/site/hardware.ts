/**
 * The machine a result ran on, as its provenance records it: `{cpu, gpu, memory_gb}`, short
 * printable ASCII (the result schema's `hardwareText`). The GPU is named only when the run asked
 * for GPUs (`--gpus`), from `nvidia-smi`; a machine without it records none.
 */
import { execFile } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { promisify } from "node:util";
import type { Result } from "../governance/types.ts";

export type Hardware = NonNullable<Result["provenance"]["hardware"]>;

/** Runs a program and returns its stdout; rejects when it cannot run or fails. */
export type Exec = (file: string, args: string[]) => Promise<string>;

export const execText: Exec = async (file, args) =>
  (await promisify(execFile)(file, args, { timeout: 10_000, encoding: "utf8" })).stdout;

/** Printable ASCII, single spaces, at most 100 characters. */
export function hardwareText(text: string): string | undefined {
  const clean = text
    .replace(/[^ -~]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 100)
    .trim();
  return clean || undefined;
}

/** GPU names as `nvidia-smi` lists them (`2 x NVIDIA L4`), or undefined when there is none. */
export async function gpuNames(exec: Exec = execText): Promise<string | undefined> {
  let out: string;
  try {
    out = await exec("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"]);
  } catch {
    return undefined;
  }
  const names = out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (!names.length) return undefined;
  const distinct = [...new Set(names)];
  return hardwareText(distinct.length === 1 ? `${names.length} x ${distinct[0]}` : distinct.join(", "));
}

export async function describeHardware(options: { gpus: boolean; exec?: Exec }): Promise<Hardware> {
  const list = cpus();
  const models = [...new Set(list.map((c) => c.model.trim()).filter(Boolean))];
  const hardware: Hardware = {};
  const cpu = hardwareText(`${list.length} x ${models.join(", ") || "unknown CPU"}`);
  if (cpu) hardware.cpu = cpu;
  if (options.gpus) {
    const gpu = await gpuNames(options.exec);
    if (gpu) hardware.gpu = gpu;
  }
  hardware.memory_gb = Math.round(totalmem() / 1e8) / 10;
  return hardware;
}
