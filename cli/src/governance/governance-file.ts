import { toYaml } from "../formats/yaml-write.ts";
import type { GovernanceKind } from "./types.ts";

/** How deep each kind of file sits below the governance root (sites/x.yaml: 1). */
const DEPTH: Record<GovernanceKind, number> = { site: 1, benchmark: 2, model: 3, dataset: 3, result: 4 };

/**
 * The editor's schema line of a governance file: the schema in `schemas/` at the root of the
 * governance repository (`fedeval init` puts them there), by a path relative to the file.
 */
function schemaLine(kind: GovernanceKind): string {
  return `# yaml-language-server: $schema=${"../".repeat(DEPTH[kind])}schemas/${kind}.schema.json`;
}

/**
 * The exact text of a governance file fedeval writes (a dataset association, a result, a model
 * proposal): the editor's schema line, an optional comment, then the YAML. `outbox show` prints
 * this text, and it is what a submission commits, so a site approves the very bytes that leave.
 */
export function governanceFileText(kind: GovernanceKind, data: object, comment?: string): string {
  const lines = comment ? comment.split("\n").map((l) => `# ${l}`.trimEnd()) : [];
  return [schemaLine(kind), ...lines, toYaml(data)].join("\n");
}
