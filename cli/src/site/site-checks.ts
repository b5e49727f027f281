/**
 * What `fedeval doctor` checks on a site's machine, each with what to fix. Every input is
 * injected (Docker client, environment, programs, paths) so tests exercise the real checks.
 *
 * Required (a `fail` makes doctor exit 1): a reachable Docker Engine API new enough for fedeval's
 * container settings (API 1.40, Docker 19.03), served by Docker or Podman (which one, its version,
 * rootless or not, and what the runner does differently there), enforcing the memory and pids
 * limits, git, the site's signing key (with --site) readable
 * only by its owner (with --root also listed in the site's file and valid now), and 1 GiB free in FEDEVAL_HOME. Advice (`warn`): GPUs, a forge token, less
 * than 10 GiB free.
 */
import { createPrivateKey } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { formatBytes } from "../base/bytes.ts";
import { freeBytes } from "../base/disk.ts";
import { UserError } from "../base/errors.ts";
import type { SiteWorkspace } from "../base/workspace.ts";
import { describeEngine, engineLine } from "../containers/engine.ts";
import type { Site } from "../governance/types.ts";
import { signingKeyFor } from "../results/site-keys.ts";
import { type Exec, gpuNames } from "./hardware.ts";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when not ok. */
  fix?: string;
}

export interface SiteCheckInputs {
  docker: Docker;
  env: NodeJS.ProcessEnv;
  exec: Exec;
  /** FEDEVAL_HOME. */
  home: string;
  /** The gh CLI's config folder (GH_CONFIG_DIR, else ~/.config/gh). */
  ghConfigDir: string;
  site?: {
    id: string;
    workspace: SiteWorkspace;
    /**
     * With a governance repository: the site's file there (null when it has none), against which
     * the local key must be listed and valid at `now`.
     */
    registered?: { file: Site | null; now: Date };
  };
}

const MIN_API = [1, 40];
export const DISK_FAIL_BYTES = 2 ** 30;
export const DISK_WARN_BYTES = 10 * 2 ** 30;

export async function runSiteChecks(inputs: SiteCheckInputs): Promise<CheckResult[]> {
  const docker = await checkDocker(inputs.docker);
  return [
    docker.result,
    await checkGpu(inputs, docker.info),
    await checkGit(inputs.exec),
    await checkForgeToken(inputs),
    await checkSiteKey(inputs.site),
    await checkDisk(inputs.home),
  ];
}

async function checkDocker(docker: Docker): Promise<{ result: CheckResult; info?: { Runtimes?: object } }> {
  let version: Docker.DockerVersion;
  try {
    version = await docker.version();
  } catch (e) {
    return {
      result: {
        check: "docker",
        status: "fail",
        detail: `cannot reach the Docker Engine (${(e as Error).message.split("\n")[0]})`,
        fix: "start Docker (dockerd), check DOCKER_HOST and that this user may use its socket (docker group)",
      },
    };
  }
  const api = version.ApiVersion.split(".").map(Number);
  const old =
    (api[0] ?? 0) < (MIN_API[0] as number) ||
    ((api[0] ?? 0) === MIN_API[0] && (api[1] ?? 0) < (MIN_API[1] as number));
  const [info, engine] = await Promise.all([
    docker.info().catch(() => undefined),
    describeEngine(docker).catch(() => undefined),
  ]);
  const detail = `${engine ? engineLine(engine) : `Docker Engine ${version.Version}`}, API ${version.ApiVersion}${
    engine?.differences.length ? `; ${engine.differences.join("; ")}` : ""
  }`;
  if (engine?.unenforced.length) {
    return {
      result: {
        check: "docker",
        status: "fail",
        detail,
        fix: "use a machine with cgroups v2 for a rootless engine, or a rootful engine (docs/site-scale.md)",
      },
      info,
    };
  }
  if (old) {
    return {
      result: {
        check: "docker",
        status: "fail",
        detail: `${detail} is too old`,
        fix: "upgrade Docker to 19.03 or newer",
      },
      info,
    };
  }
  return { result: { check: "docker", status: "ok", detail }, info };
}

async function checkGpu(
  inputs: SiteCheckInputs,
  info: { Runtimes?: object } | undefined,
): Promise<CheckResult> {
  if (!info) return { check: "gpu", status: "warn", detail: "not checked: the Docker Engine is unreachable" };
  const gpus = await gpuNames(inputs.exec);
  const runtime = Object.keys(info.Runtimes ?? {}).includes("nvidia");
  if (runtime) {
    return {
      check: "gpu",
      status: "ok",
      detail: `nvidia runtime present${gpus ? `; ${gpus}` : ""} (give models GPUs with --gpus)`,
    };
  }
  return {
    check: "gpu",
    status: "warn",
    detail: gpus
      ? `${gpus} on the host, but Docker has no nvidia runtime`
      : "no GPU visible to Docker: models run on CPU",
    fix: "only if models need GPUs: install the NVIDIA driver and the NVIDIA Container Toolkit, then restart Docker",
  };
}

async function checkGit(exec: Exec): Promise<CheckResult> {
  try {
    return { check: "git", status: "ok", detail: (await exec("git", ["--version"])).trim() };
  } catch {
    return {
      check: "git",
      status: "fail",
      detail: "git not found",
      fix: "install git (results name the governance commit; submissions push branches)",
    };
  }
}

async function checkForgeToken(inputs: SiteCheckInputs): Promise<CheckResult> {
  for (const name of ["GITHUB_TOKEN", "GH_TOKEN"]) {
    if (inputs.env[name]) return { check: "forge token", status: "ok", detail: `${name} is set` };
  }
  const hosts = await readFile(join(inputs.ghConfigDir, "hosts.yml"), "utf8").catch(() => "");
  if (/^github\.com:/m.test(hosts)) {
    return {
      check: "forge token",
      status: "ok",
      detail: `gh is logged in to github.com (${join(inputs.ghConfigDir, "hosts.yml")})`,
    };
  }
  return {
    check: "forge token",
    status: "warn",
    detail: "no GitHub token: `fedeval submit` can push a branch but not open the pull request",
    fix: "set GITHUB_TOKEN (a token that may open pull requests on the governance repository) or run `gh auth login`",
  };
}

async function checkSiteKey(site: SiteCheckInputs["site"]): Promise<CheckResult> {
  if (!site)
    return {
      check: "site key",
      status: "warn",
      detail: "not checked: give --site to check a site's signing key",
    };
  const dir = site.workspace.keys;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".pem")).sort();
  const create = `create one with \`fedeval site keygen --site ${site.id}\` and add its public key to sites/${site.id}.yaml`;
  if (!names.length)
    return {
      check: "site key",
      status: "fail",
      detail: `no signing key of site ${site.id} in ${dir}`,
      fix: create,
    };
  const problems: CheckResult[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) {
      problems.push({
        check: "site key",
        status: "fail",
        detail: `${file} can be read by others (mode ${mode.toString(8).padStart(4, "0")})`,
        fix: `chmod 600 ${file}`,
      });
      continue;
    }
    let type: string | undefined;
    try {
      type = createPrivateKey(await readFile(file, "utf8")).asymmetricKeyType;
    } catch {
      type = undefined;
    }
    if (type !== "ed25519") {
      problems.push({
        check: "site key",
        status: "fail",
        detail: `${file} is not an ed25519 private key`,
        fix: create,
      });
    }
  }
  if (problems.length) return problems[0] as CheckResult;
  if (site.registered) return checkRegisteredKey(site.id, dir, site.registered, create);
  return {
    check: "site key",
    status: "ok",
    detail: `${names.length} ed25519 key${names.length > 1 ? "s" : ""} of site ${site.id} in ${dir} (mode 0600)`,
  };
}

/** The key the site would sign with: listed in its governance file, not revoked, matching. */
async function checkRegisteredKey(
  id: string,
  dir: string,
  registered: { file: Site | null; now: Date },
  create: string,
): Promise<CheckResult> {
  const fail = (detail: string): CheckResult => ({ check: "site key", status: "fail", detail, fix: create });
  if (!registered.file) return fail(`the governance repository has no sites/${id}.yaml`);
  try {
    const { key } = await signingKeyFor(registered.file, dir, registered.now);
    return {
      check: "site key",
      status: "ok",
      detail: `key ${key.id} of site ${id} in ${dir} (mode 0600), listed in sites/${id}.yaml and valid now`,
    };
  } catch (e) {
    if (e instanceof UserError) return fail(e.message);
    throw e;
  }
}

async function checkDisk(home: string): Promise<CheckResult> {
  // FEDEVAL_HOME may not exist yet: measured on the disk it will be created on
  const free = await freeBytes(home);
  const detail = `${formatBytes(free)} free for ${home}`;
  const fix = "free space or set FEDEVAL_HOME to a larger disk: prepared datasets and run folders live there";
  if (free < DISK_FAIL_BYTES) return { check: "disk", status: "fail", detail, fix };
  if (free < DISK_WARN_BYTES) return { check: "disk", status: "warn", detail, fix };
  return { check: "disk", status: "ok", detail };
}
