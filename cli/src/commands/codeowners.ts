import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CODEOWNERS_PATH, codeownersState } from "../governance/codeowners.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { CommandIO } from "./io.ts";

export interface CodeownersOptions {
  root: string;
  /** Exit 1 when the file is out of date instead of writing it. */
  check: boolean;
}

export async function codeownersCommand(opts: CodeownersOptions, io: CommandIO): Promise<number> {
  const { index } = await loadGovernance(opts.root);
  const { text, current } = await codeownersState(index);
  const path = join(opts.root, CODEOWNERS_PATH);
  if (opts.check) {
    if (current) {
      io.stderr(`${CODEOWNERS_PATH} is up to date\n`);
      return 0;
    }
    io.stderr(`${CODEOWNERS_PATH} is out of date: run \`fedeval codeowners\` and commit it\n`);
    return 1;
  }
  if (!current) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  io.stderr(`${current ? "unchanged" : "wrote"} ${CODEOWNERS_PATH}\n`);
  return 0;
}
