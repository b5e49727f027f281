/**
 * Builds a Docker image without any registry: `FROM scratch` plus the running Node binary, its
 * shared libraries (as `ldd` lists them) and a few JavaScript files. Tests and the demo use it to
 * get images offline. The image is imported from a tar stream written here (one layer, no build
 * container), which takes about a second.
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { engineError } from "./docker-runner.ts";

/** Where the Node binary lives inside the image. */
export const NODE_IN_IMAGE = "/usr/local/bin/node";

export interface NodeImageSpec {
  /** `repository:tag` given to the image, e.g. `fedeval-demo/model-a:dev`. */
  tag: string;
  /** Absolute path inside the image → file content (a string) or a host file to copy. */
  files: Record<string, string | { hostPath: string }>;
  /** The image's ENTRYPOINT; defaults to the Node binary alone. */
  entrypoint?: string[];
  /** The image's CMD. */
  command?: string[];
  /** The image's VOLUMEs. */
  volumes?: string[];
  /** The image's ENV, e.g. `{HOME: "/home/app"}`. */
  env?: Record<string, string>;
  /** The image's WORKDIR, created writable by anyone (mode 1777) as images for non-root users make it. */
  workdir?: string;
}

interface TarEntry {
  path: string;
  mode: number;
  /** Undefined for a directory. */
  content?: Buffer | { hostPath: string; size: number };
}

/** Builds the image and returns its id (`sha256:` of its config), which pins it. */
export async function buildNodeImage(docker: Docker, spec: NodeImageSpec): Promise<string> {
  const files = new Map<string, TarEntry>();
  const addHostFile = async (path: string, hostPath: string) => {
    const real = await realpath(hostPath);
    const s = await stat(real);
    files.set(path, { path, mode: s.mode & 0o777, content: { hostPath: real, size: s.size } });
  };
  await addHostFile(NODE_IN_IMAGE, process.execPath);
  for (const lib of await sharedLibraries(process.execPath)) await addHostFile(lib, lib);
  for (const [path, source] of Object.entries(spec.files)) {
    if (!posix.isAbsolute(path)) throw new Error(`image file path must be absolute: ${path}`);
    if (typeof source === "string") files.set(path, { path, mode: 0o644, content: Buffer.from(source) });
    else await addHostFile(path, source.hostPath);
  }
  const entries = [...parentDirectories([...files.keys(), ...(spec.workdir ? [`${spec.workdir}/.`] : [])])];
  if (spec.workdir) {
    const workdir = posix.normalize(spec.workdir);
    for (const e of entries) if (e.path === workdir) e.mode = 0o1777;
  }
  entries.push(...files.values());

  const entrypoint = spec.entrypoint ?? [NODE_IN_IMAGE];
  const changes = [`ENTRYPOINT ${JSON.stringify(entrypoint)}`];
  if (spec.command) changes.push(`CMD ${JSON.stringify(spec.command)}`);
  if (spec.volumes) changes.push(`VOLUME ${JSON.stringify(spec.volumes)}`);
  for (const [k, v] of Object.entries(spec.env ?? {})) changes.push(`ENV ${k}=${JSON.stringify(v)}`);
  if (spec.workdir) changes.push(`WORKDIR ${spec.workdir}`);
  const [repo, tag] = splitTag(spec.tag);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.importImage(Readable.from(tarEntries(entries)), { repo, tag, changes });
  } catch (err) {
    throw engineError(err);
  }
  const events = await new Promise<{ status?: string; error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { status?: string; error?: string }[]) =>
      err ? reject(err) : resolve(out),
    ),
  );
  const failure = events.find((e) => e.error);
  if (failure) throw new Error(`importing image ${spec.tag} failed: ${failure.error}`);
  const id = events.map((e) => e.status).find((s) => s?.startsWith("sha256:"));
  if (!id) throw new Error(`importing image ${spec.tag} returned no image id`);
  return id;
}

function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
}

/** Absolute paths of the shared libraries (and the dynamic loader) a binary needs, from `ldd`. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)("ldd", [binary]);
  const libs = new Set<string>();
  for (const line of stdout.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const path = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (path) libs.add(path);
  }
  return [...libs];
}

function parentDirectories(paths: string[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let d = posix.dirname(p); d !== "/"; d = posix.dirname(d)) dirs.add(d);
  }
  return [...dirs].sort().map((path) => ({ path, mode: 0o755 }));
}

/** A minimal ustar writer: directories and regular files, owner root, mtime 0. */
async function* tarEntries(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const content = e.content;
    const size = content === undefined ? 0 : Buffer.isBuffer(content) ? content.length : content.size;
    yield tarHeader(e.path.slice(1) + (content === undefined ? "/" : ""), e.mode, size, content ? "0" : "5");
    if (Buffer.isBuffer(content)) yield content;
    else if (content) {
      let read = 0;
      for await (const chunk of createReadStream(content.hostPath)) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== size) throw new Error(`${content.hostPath} changed while it was being copied`);
    }
    if (size % 512) yield Buffer.alloc(512 - (size % 512));
  }
  yield Buffer.alloc(1024);
}

function tarHeader(name: string, mode: number, size: number, type: "0" | "5"): Buffer {
  const h = Buffer.alloc(512);
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    // ustar: split the path at a slash into prefix (≤155 bytes) and name (≤100 bytes)
    const cut = name.lastIndexOf("/", name.length - 2);
    [prefix, name] = [name.slice(0, cut), name.slice(cut + 1)];
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new Error(`path too long for a tar header: ${prefix}/${name}`);
    }
  }
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, "0")}\0`;
  h.write(name, 0, 100);
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime
  h.write(" ".repeat(8), 148); // checksum placeholder
  h.write(type, 156);
  h.write("ustar\0" + "00", 257);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}
