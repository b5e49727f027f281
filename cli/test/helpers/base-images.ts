/**
 * Base images that container authors start from (`FROM busybox:1.36`, `FROM python:3.12-slim`),
 * offline: no registry is reachable in tests, so when the engine does not have the image, a
 * stand-in is built under that name from the host's own binaries (Debian's static busybox; the
 * host's Python 3 with its standard library and shared libraries), labelled
 * `fedeval.stand-in=<what>`. An image the engine already has (a real one) is used as it is, and a
 * stand-in is left in place for the next run (test files run in parallel and share it).
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, realpath, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const BUSYBOX = "busybox:1.36";
export const PYTHON = "python:3.12-slim";
const HOST_PYTHON = "/usr/bin/python3";

async function has(image: string): Promise<boolean> {
  return run("docker", ["image", "inspect", image]).then(
    () => true,
    () => false,
  );
}

async function build(tag: string, context: string, dockerfile: string): Promise<void> {
  await writeFile(join(context, "Dockerfile"), dockerfile);
  await run("docker", ["build", "-q", "-t", tag, context], { maxBuffer: 16 * 2 ** 20 });
}

/** `busybox:1.36`, or a stand-in: /bin/busybox (busybox-static) with its applets linked in /bin. */
export async function ensureBusybox(): Promise<string> {
  if (await has(BUSYBOX)) return BUSYBOX;
  const context = await mkdtemp(join(tmpdir(), "fedeval-busybox-"));
  await cp("/bin/busybox", join(context, "busybox")).catch(() => {
    throw new Error("no /bin/busybox on this machine: apt-get install busybox-static (.ci/run does)");
  });
  await build(
    BUSYBOX,
    context,
    `FROM scratch\nLABEL fedeval.stand-in=busybox-static\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n`,
  );
  return BUSYBOX;
}

/**
 * `python:3.12-slim`, or a stand-in: the host's /usr/bin/python3, its shared libraries and its
 * standard library (Debian's python3), on the busybox stand-in (a shell for RUN lines).
 */
export async function ensurePython(): Promise<string> {
  if (await has(PYTHON)) return PYTHON;
  await ensureBusybox();
  const context = await mkdtemp(join(tmpdir(), "fedeval-python-"));
  const binary = await realpath(HOST_PYTHON).catch(() => {
    throw new Error(`no ${HOST_PYTHON} on this machine: apt-get install python3 (.ci/run does)`);
  });
  const { stdout: version } = await run(binary, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  const stdlib = `/usr/lib/python${version.trim()}`;
  const { stdout: ldd } = await run("ldd", [binary]);
  const libraries = [...ldd.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
  const files = [binary, ...libraries];
  for (const file of files) {
    await mkdir(join(context, "root", dirname(file)), { recursive: true });
    await cp(await realpath(file), join(context, "root", file));
  }
  await cp(stdlib, join(context, "root", stdlib), {
    recursive: true,
    filter: (p) => !/\/(test|tests|idlelib|tkinter|turtledemo|__pycache__)(\/|$)/.test(p),
  });
  await mkdir(join(context, "root/usr/local/bin"), { recursive: true });
  await symlink(binary, join(context, "root/usr/local/bin/python3"));
  await build(
    PYTHON,
    context,
    `FROM ${BUSYBOX}\nLABEL fedeval.stand-in=host-python\nCOPY root/ /\nENV LANG=C.UTF-8\nCMD ["python3"]\n`,
  );
  return PYTHON;
}
