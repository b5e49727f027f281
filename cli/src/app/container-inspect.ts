/**
 * A MedPerf container_config.yaml or MLCube mlcube.yaml read as fedeval runs it: the normalized
 * task interface (containers/definition.ts), or the problems that keep it from one.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import { loadContainerDefinition } from "../containers/definition.ts";
import type { ContainerDefinition } from "../containers/types.ts";

export type { ContainerDefinition, Mount, TaskInterface } from "../containers/types.ts";

export interface ContainerInspectRequest {
  /** Absolute path of the definition file. */
  path: string;
  /** The file as the user named it, for diagnostics. */
  file: string;
}

export interface ContainerInspectReport {
  file: string;
  /** The normalized definition; absent when it has errors. */
  definition?: ContainerDefinition;
  diagnostics: Diagnostic[];
}

/** A missing or unreadable file is a UserError; everything wrong inside it is a diagnostic. */
export async function inspectContainerDefinition(
  request: ContainerInspectRequest,
): Promise<ContainerInspectReport> {
  const { definition, diagnostics } = await loadContainerDefinition(request.path, request.file);
  return { file: request.file, definition, diagnostics };
}
