import type { GovernanceKind } from "../governance/types.ts";
import { toYaml } from "../governance/yaml-write.ts";

/**
 * The exact text of a governance file fedeval writes for a site (a dataset association, a result):
 * the editor's schema line, then the YAML. `outbox show` prints this text, and it is what a
 * submission commits, so a site approves the very bytes that leave.
 */
export function governanceFileText(kind: GovernanceKind, data: object): string {
  return `# yaml-language-server: $schema=https://fedeval.dev/schemas/${kind}.schema.json\n${toYaml(data)}`;
}
