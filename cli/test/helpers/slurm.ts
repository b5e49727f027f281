/**
 * A real single-node Slurm cluster for tests, in a folder of its own: munged (with a fresh key),
 * slurmctld and slurmd on localhost (Debian's munge and slurm-wlm), on ports of their own, as root
 * (no cgroups: proctrack/linuxproc, task/none). `SLURM_CONF` in `env` points sbatch, squeue and
 * scancel at it. Without the daemons installed the tests are skipped with the reason, except in CI
 * (`CI` set), where that is an error, as for Docker (docker.ts).
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, hostname, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Exec } from "../../src/site/hardware.ts";

export interface SlurmCluster {
  /** SLURM_CONF and PATH, for the programs that talk to the cluster. */
  env: NodeJS.ProcessEnv;
  /** Runs sbatch, squeue, scancel against this cluster. */
  exec: Exec;
  stop(): Promise<void>;
}

/** Why Slurm tests cannot run here, or false. Throws in CI. */
export function slurmSkip(): string | false {
  const missing = ["munged", "slurmctld", "slurmd", "sbatch"].filter((p) => {
    try {
      execFileSync("sh", ["-c", `command -v ${p}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  let reason: string | false = false;
  if (missing.length)
    reason = `${missing.join(", ")} not installed (apt-get install munge slurmctld slurmd slurm-client)`;
  else if (process.getuid?.() !== 0) reason = "the test cluster's daemons run as root";
  if (reason && process.env.CI) throw new Error(`CI requires Slurm: ${reason}`);
  return reason;
}

/** Starts munged, slurmctld and slurmd, and waits until the node is idle (a few seconds). */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "fedeval-slurm-"));
  for (const d of ["munge", "state", "spool"]) mkdirSync(join(dir, d), { mode: 0o700 });
  const key = join(dir, "munge", "munge.key");
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, "munge", "munge.socket");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const memory = Math.floor((totalmem() / 2 ** 20) * 0.8);
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=fedeval-test",
      "SlurmctldHost=localhost",
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      "AuthType=auth/munge",
      `AuthInfo=socket=${socket}`,
      "CredType=cred/munge",
      "SlurmUser=root",
      "SlurmdUser=root",
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "SchedulerType=sched/backfill",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "ReturnToService=2",
      "MinJobAge=3600",
      `NodeName=localhost NodeHostname=${hostname()} CPUs=${cpus().length} RealMemory=${memory} State=UNKNOWN`,
      "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  chmodSync(dir, 0o755);
  const env = { ...process.env, SLURM_CONF: conf };
  const run = (file: string, args: string[]) => promisify(execFile)(file, args, { env, encoding: "utf8" });
  await run("munged", [
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--pid-file=${join(dir, "munge", "munged.pid")}`,
    `--log-file=${join(dir, "munge", "munged.log")}`,
    `--seed-file=${join(dir, "munge", "munged.seed")}`,
    "--force",
  ]);
  // both daemons fork into the background and write their pid files
  await run("slurmctld", []);
  await run("slurmd", []);
  const exec: Exec = async (file, args) => (await run(file, args)).stdout;
  for (let i = 0; ; i++) {
    const state = await exec("sinfo", ["--noheader", "--format=%t"]).catch(() => "");
    if (state.trim() === "idle") break;
    if (i >= 60)
      throw new Error(
        `the test Slurm cluster did not start: ${readFileSync(join(dir, "slurmctld.log"), "utf8").slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    env,
    exec,
    async stop() {
      for (const pidFile of ["slurmd.pid", "slurmctld.pid", join("munge", "munged.pid")]) {
        const pid = Number(readFileSync(join(dir, pidFile), "utf8"));
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    },
  };
}
