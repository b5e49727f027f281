import { grantModelAccess, revokeModelAccess } from "../app/model-access.ts";
import type { CommandIO } from "./io.ts";

export interface ModelAccessOptions {
  root: string;
  benchmark: string;
  model: string;
  site?: string;
}

export async function modelGrantCommand(
  opts: ModelAccessOptions & { site: string; keyFile: string },
  io: CommandIO,
): Promise<number> {
  const report = await grantModelAccess(opts);
  io.stderr(
    `${report.file}: the key is sealed to ${report.changed} key(s) of site ${opts.site}; commit the file and open a pull request (no new approval is needed)\n`,
  );
  return 0;
}

export async function modelRevokeCommand(opts: ModelAccessOptions, io: CommandIO): Promise<number> {
  const report = await revokeModelAccess(opts);
  const who = opts.site === undefined ? "every site" : `site ${opts.site}`;
  io.stderr(
    `${report.file}: ${report.changed} grant(s) of ${who} removed; ${report.sites.length ? `still granted: ${report.sites.join(", ")}` : "no site has access now"}; commit the file and open a pull request\n`,
  );
  return 0;
}
