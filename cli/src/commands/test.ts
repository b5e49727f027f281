/**
 * `fedeval test --benchmark B [--model ID | --container FILE --image REF] [--data DIR --labels DIR]`:
 * runs the benchmark's preparation, a model and the evaluator on this machine (app/container-test.ts)
 * and prints, per task, what the container received, then the metrics.
 */
import {
  type ContainerTestReport,
  type ContainerTestRequest,
  testContainers,
} from "../app/container-test.ts";
import type { CommandIO } from "./io.ts";

export interface TestOptions extends Omit<ContainerTestRequest, "logger"> {
  json: boolean;
}

/** Exit 0: every task ran and the evaluator computed the metrics. Exit 1: something failed. */
export async function testCommand(opts: TestOptions, io: CommandIO): Promise<number> {
  const report = await testContainers({ ...opts, logger: io.logger });
  const passed = passedTest(report);
  if (opts.json) io.stdout(`${JSON.stringify({ passed, ...report }, null, 2)}\n`);
  else io.stdout(renderTest(report, passed));
  return passed ? 0 : 1;
}

function passedTest(report: ContainerTestReport): boolean {
  return report.result.ok && report.result.models.every((m) => m.status === "ok");
}

export function renderTest(report: ContainerTestReport, passed: boolean): string {
  const data =
    report.data === "demo"
      ? "the demo dataset"
      : `local data ${report.data.data} (labels ${report.data.labels})`;
  const lines = [`test of model ${report.model} on benchmark ${report.benchmark}, with ${data}`, ""];
  for (const t of report.tasks) {
    lines.push(`task ${t.task}: ${t.outcome.status} (${t.outcome.message})`);
    lines.push(`  image        ${t.image.ref}${t.image.id !== t.image.ref ? ` (${t.image.id})` : ""}`);
    const runs = [...(t.entrypoint ?? []), ...t.command];
    lines.push(
      `  runs         ${runs.length ? runs.join(" ") : "the image's entrypoint and command"}${t.entrypoint ? "" : runs.length ? " (after the image's entrypoint)" : ""}`,
    );
    const width = Math.max(...t.mounts.map((m) => m.name.length));
    t.mounts.forEach((m, i) => {
      lines.push(
        `  ${i ? "            " : "mounts      "} ${m.name.padEnd(width)}  ${m.containerPath} <- ${m.hostPath} (${m.type}, ${m.readOnly ? "read-only" : "writable"})`,
      );
    });
    const env = Object.entries(t.environment);
    lines.push(
      `  environment  ${env.length ? env.map(([k, v]) => `${k}=${v}`).join(" ") : "(none set by the definition)"}`,
    );
    if (t.parameters !== undefined) {
      lines.push("  parameters");
      for (const l of t.parameters.replace(/\n$/, "").split("\n")) lines.push(`    | ${l}`);
    }
    if (t.outcome.status !== "ok" && t.outcome.logTail.length) {
      lines.push("  last lines of its output");
      for (const l of t.outcome.logTail) lines.push(`    | ${l}`);
    }
    lines.push("");
  }
  const { result } = report;
  if (!result.ok) lines.push(`preparation failed at ${result.step}: ${result.message}`);
  else {
    lines.push(`${result.cases} prepared cases`);
    for (const m of result.models) {
      lines.push(`model ${m.model}: ${m.message}`, "metrics");
      const width = Math.max(...report.metrics.map((id) => id.length));
      for (const id of report.metrics) {
        const value = m.metrics[id];
        lines.push(
          `  ${id.padEnd(width)}  ${value === null || value === undefined ? `null (${m.reasons[id] ?? "undefined"})` : value}`,
        );
      }
      for (const d of m.dropped)
        lines.push(`  dropped from results.yaml: ${d.path || "(whole file)"}: ${d.why}`);
    }
  }
  lines.push("", `log: ${result.logFile}`, `files: ${report.workDir}`, passed ? "passed" : "FAILED");
  return `${lines.join("\n")}\n`;
}
