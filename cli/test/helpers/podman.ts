/**
 * Podman for tests: starts `podman system service` (the Docker-compatible API) on a socket of its
 * own, rootful or rootless (as a non-root user with subordinate ids, ROOTLESS_USER, which .ci/run
 * creates), and stops it afterwards. Without podman on PATH the tests are skipped with the reason,
 * except in CI (`CI` set), where that is an error, as for Docker (docker.ts).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";

/** The non-root user rootless Podman runs as in tests (.ci/run creates it with /etc/subuid). */
export const ROOTLESS_USER = "fedeval-podman";

export interface PodmanService {
  docker: Docker;
  /** DOCKER_HOST for the service. */
  host: string;
  /** The service's own process limit: Podman lowers it where it cannot raise it to its default. */
  nproc: number;
  stop(): Promise<void>;
}

/** Why Podman tests cannot run here, or false. Throws in CI. */
export function podmanSkip(rootless: boolean): string | false {
  const reason = whyNot(rootless);
  if (reason && process.env.CI) throw new Error(`CI requires Podman: ${reason}`);
  return reason;
}

function whyNot(rootless: boolean): string | false {
  try {
    execFileSync("podman", ["--version"], { stdio: "ignore" });
  } catch {
    return "podman is not installed (apt-get install podman uidmap slirp4netns fuse-overlayfs)";
  }
  if (!rootless) return process.getuid?.() === 0 ? false : "rootful Podman needs root";
  try {
    execFileSync("id", ["-u", ROOTLESS_USER], { stdio: "ignore" });
  } catch {
    return `no user ${ROOTLESS_USER} for rootless Podman (.ci/run creates it)`;
  }
  return process.getuid?.() === 0 ? false : `starting Podman as ${ROOTLESS_USER} needs root`;
}

/** Starts the service and waits until it answers (about 1 s). */
export async function startPodman(rootless: boolean): Promise<PodmanService> {
  // the rootless service's runtime folder must be reachable by its user: not under the test run's TMPDIR (0700, root's)
  const parent = rootless
    ? (execFileSync("getent", ["passwd", ROOTLESS_USER], { encoding: "utf8" }).split(":")[5] as string)
    : tmpdir();
  const dir = mkdtempSync(join(parent, "fedeval-podman-"));
  const socket = join(dir, "podman.sock");
  const host = `unix://${socket}`;
  let child: ChildProcess;
  if (rootless) {
    const uid = Number(execFileSync("id", ["-u", ROOTLESS_USER], { encoding: "utf8" }));
    const runtime = join(dir, "runtime");
    mkdirSync(runtime, { mode: 0o700 });
    chownSync(dir, uid, uid);
    chownSync(runtime, uid, uid);
    child = spawn(
      "runuser",
      [
        "-u",
        ROOTLESS_USER,
        "--",
        "env",
        `XDG_RUNTIME_DIR=${runtime}`,
        "podman",
        "system",
        "service",
        "--time=0",
        host,
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
  } else {
    // cwd: conmon writes an `oom` file into its working folder when a container runs out of memory
    child = spawn("podman", ["system", "service", "--time=0", host], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const docker = new Docker({ socketPath: socket });
  for (let i = 0; ; i++) {
    try {
      await docker.ping();
      break;
    } catch (e) {
      if (i >= 100 || child.exitCode !== null) {
        child.kill();
        throw new Error(`podman system service did not start: ${stderr.trim() || (e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    docker,
    host,
    nproc: serviceNproc(socket),
    async stop() {
      // runuser starts the rootless service in a session of its own, which could outlive runuser and
      // keep the test process alive through its stderr pipe: the service's own processes are killed too
      const service = servicePids(socket);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      for (const pid of service) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone already
        }
      }
      child.stderr?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The process limit of the podman process serving `socket` (not runuser's). */
function serviceNproc(socket: string): number {
  const pids = servicePids(socket);
  const podman = pids.find((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "podman");
  const m = podman && /^Max processes\s+(\d+)/m.exec(readFileSync(`/proc/${podman}/limits`, "utf8"));
  if (!m) throw new Error("cannot read the podman service's process limit");
  return Number(m[1]);
}

/** The processes serving `socket` (podman, and runuser for the rootless one). */
function servicePids(socket: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", `system service --time=0 unix://${socket}`], { encoding: "utf8" })
      .trim()
      .split("\n");
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
