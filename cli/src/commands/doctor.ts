/**
 * `fedeval doctor [--site S]`: checks that this machine can run a site (app/doctor.ts) and
 * prints one line per check, `ok`, `warn` or `fail`, with what to fix.
 */
import { checkSiteMachine, type MachineCheckRequest } from "../app/doctor.ts";
import type { CommandIO } from "./io.ts";

export interface DoctorOptions extends MachineCheckRequest {}

/** Exit 0: nothing required fails (warnings allowed). Exit 1: something required fails. */
export async function doctorCommand(opts: DoctorOptions, io: CommandIO): Promise<number> {
  const { checks, failed } = await checkSiteMachine(opts);
  const width = Math.max(...checks.map((r) => r.check.length));
  for (const r of checks) {
    io.stdout(`${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.detail}\n`);
    if (r.fix) io.stdout(`${" ".repeat(width + 8)}fix: ${r.fix}\n`);
  }
  io.stdout(
    failed ? `${failed} required check${failed > 1 ? "s" : ""} failed\n` : "this machine can run fedeval\n",
  );
  return failed ? 1 : 0;
}
