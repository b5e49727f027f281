import { updateCodeowners } from "../app/codeowners.ts";
import type { CommandIO } from "./io.ts";

export interface CodeownersOptions {
  root: string;
  /** Exit 1 when the file is out of date instead of writing it. */
  check: boolean;
}

export async function codeownersCommand(opts: CodeownersOptions, io: CommandIO): Promise<number> {
  const { file, current, written } = await updateCodeowners({ root: opts.root, check: opts.check });
  if (opts.check) {
    if (current) {
      io.stderr(`${file} is up to date\n`);
      return 0;
    }
    io.stderr(`${file} is out of date: run \`fedeval codeowners\` and commit it\n`);
    return 1;
  }
  io.stderr(`${written ? "wrote" : "unchanged"} ${file}\n`);
  return 0;
}
