/**
 * Which engine serves the Docker Engine API that fedeval talks to (DOCKER_HOST): Docker, or Podman
 * through its Docker-compatible service (`podman system service`), rootless or not, and what that
 * changes for the isolation the Docker runner gives a task:
 * - rootless Podman maps the invoking user to root in the container unless asked to keep the id:
 *   tasks run with `UsernsMode: keep-id`, so they keep the invoking uid:gid (non-root, outputs
 *   owned by the user), as on Docker;
 * - Podman's compatible API raises the open-files and processes limits of a container to 1048576
 *   whenever a request sets any ulimit (fedeval sets fsize), which fails where the engine may not
 *   raise limits: tasks get fedeval's own limits for both instead (Docker's containers inherit the
 *   daemon's);
 * - a rootless engine on cgroups v1 cannot set memory or pids limits (Podman drops them with a
 *   warning in its own log): the runner refuses to run tasks there rather than run them unbounded.
 */
import { readFile } from "node:fs/promises";
import type Docker from "dockerode";

export interface ContainerEngine {
  name: "Docker" | "Podman";
  version: string;
  rootless: boolean;
  /** "1" or "2"; empty when the engine does not say. */
  cgroupVersion: string;
  /** Limits the runner sets that this engine would not enforce; tasks are refused when any. */
  unenforced: string[];
  /** Whether the engine says a container was killed for running out of memory (else: `killed`, exit 137). */
  reportsOom: boolean;
  /** Ulimits the runner adds to every task on this engine (besides its own fsize). */
  ulimits: { Name: string; Soft: number; Hard: number }[];
  /** What the runner does differently on this engine, one phrase each (for `fedeval doctor`). */
  differences: string[];
}

/** Asks the engine (version, info; Podman's own info for rootless). Rejects when it is unreachable. */
export async function describeEngine(docker: Docker): Promise<ContainerEngine> {
  const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<EngineInfo>]);
  const podman = version.Components?.find((c) => c.Name === "Podman Engine");
  const rootless = podman
    ? await podmanRootless(docker)
    : (info.SecurityOptions ?? []).some((o) => o.includes("name=rootless"));
  const cgroupVersion = String(info.CgroupVersion ?? "");
  const unenforced = rootless && cgroupVersion === "1" ? ["memory", "pids"] : [];
  const differences: string[] = [];
  const ulimits = podman ? await ownUlimits() : [];
  if (ulimits.length) differences.push("tasks get fedeval's own open-files and processes limits");
  // Podman 4 on cgroups v1 leaves OOMKilled false (checked with 4.3.1 on Debian 12)
  const reportsOom = !(podman && cgroupVersion === "1");
  if (!reportsOom) differences.push("an out-of-memory kill is reported as killed (exit code 137)");
  if (podman && rootless) differences.push("tasks keep the invoking uid:gid through UsernsMode keep-id");
  if (unenforced.length) {
    differences.push(
      `${unenforced.join(" and ")} limits are not enforced rootless on cgroups v1: fedeval refuses to run tasks`,
    );
  }
  return {
    name: podman ? "Podman" : "Docker",
    version: podman?.Version ?? version.Version,
    rootless,
    cgroupVersion,
    unenforced,
    reportsOom,
    ulimits,
    differences,
  };
}

interface EngineInfo {
  SecurityOptions?: string[];
  CgroupVersion?: string;
}

/**
 * Podman's compatible `/info` does not say whether it runs rootless; its own `/v4.0.0/libpod/info`
 * does (its libpod routes need a version prefix; 4.0.0 is the oldest it serves).
 */
async function podmanRootless(docker: Docker): Promise<boolean> {
  const info = await new Promise<{ host?: { security?: { rootless?: boolean } } }>((resolve, reject) =>
    docker.modem.dial(
      { path: "/v4.0.0/libpod/info", method: "GET", statusCodes: { 200: true }, options: {} },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as object)),
    ),
  );
  return info.host?.security?.rootless === true;
}

/** This process's open-files and processes limits (Linux: /proc/self/limits), as container ulimits. */
async function ownUlimits(): Promise<ContainerEngine["ulimits"]> {
  const text = await readFile("/proc/self/limits", "utf8").catch(() => "");
  const out: ContainerEngine["ulimits"] = [];
  for (const [name, label] of [
    ["nofile", "Max open files"],
    ["nproc", "Max processes"],
  ] as const) {
    const m = new RegExp(`^${label}\\s+(\\d+)\\s+(\\d+)`, "m").exec(text);
    if (m) out.push({ Name: name, Soft: Number(m[1]), Hard: Number(m[2]) });
  }
  return out;
}

/** One line naming the engine: `Podman 4.3.1 (rootless, cgroups v1)`. */
export function engineLine(engine: ContainerEngine): string {
  const how = [
    engine.rootless ? "rootless" : "rootful",
    engine.cgroupVersion && `cgroups v${engine.cgroupVersion}`,
  ];
  return `${engine.name} ${engine.version} (${how.filter(Boolean).join(", ")})`;
}
