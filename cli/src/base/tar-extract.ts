/**
 * Extracts a tar or tar.gz archive that someone else wrote (a model's additional files) into an
 * empty folder, refusing what could reach outside it or fill the disk, each in one line:
 * - an absolute path, a `..` segment, or a NUL in a name;
 * - a symlink whose target is absolute or resolves outside the folder (checked on the names, then
 *   again on the extracted tree with realpath, since links may chain);
 * - a hard link to anything but a file extracted earlier from the same archive (it becomes a copy);
 * - devices, FIFOs and unknown entry types; the same name twice;
 * - more than `maxEntries` entries or `maxBytes` of file content; a truncated archive.
 * Symlinks are created after every file, so no file is ever written through one. The format is
 * POSIX ustar with pax (`x`) and GNU long-name (`L`, `K`) headers: what GNU tar, bsdtar and
 * Python's tarfile write. Modes: 0755 for directories and executables, else 0644; no owners.
 */
import { createReadStream } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, readdir, realpath, symlink } from "node:fs/promises";
import { dirname, join, posix, relative, sep } from "node:path";
import { createGunzip } from "node:zlib";
import { formatBytes } from "./bytes.ts";
import { UserError } from "./errors.ts";

export interface ExtractLimits {
  /** Total size of the files extracted. */
  maxBytes: number;
  /** Number of entries (files, folders, links). */
  maxEntries: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { maxBytes: 32 * 2 ** 30, maxEntries: 100_000 };

const BLOCK = 512;
/** pax and GNU long-name records hold names, not data. */
const MAX_META_BYTES = 2 ** 20;

/** Extracts `archive` into the empty folder `dest`; `what` names the archive in messages. */
export async function extractTar(
  archive: string,
  dest: string,
  what: string,
  limits = DEFAULT_EXTRACT_LIMITS,
) {
  const refuse = (why: string): never => {
    throw new UserError(`${what}: ${why}; nothing was extracted`);
  };
  const folder = (at: string, name: string) =>
    mkdir(at, { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) =>
      refuse(`cannot create the folder of ${name} (${e.code}: a file of that name came first)`),
    );
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length) throw new Error(`extraction folder is not empty: ${dest}`);
  const reader = new Reader(await openArchive(archive), refuse);
  const files = new Set<string>();
  const links: { name: string; target: string }[] = [];
  let entries = 0;
  let bytes = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const header = await reader.exact(
      BLOCK,
      entries === 0 ? "it is empty" : "it ends without its end marker",
    );
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) refuse(entries === 0 ? "not a tar or tar.gz archive" : "a corrupt tar header");
    const type = String.fromCharCode(header[156] as number);
    const size = octal(header.subarray(124, 136), refuse);
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > MAX_META_BYTES) refuse(`a ${formatBytes(size)} metadata record`);
      const meta = await reader.exact(size, "it is truncated");
      await reader.skip(pad(size));
      if (type === "x") pax = parsePax(meta, refuse);
      else if (type === "L") longName = cString(meta);
      else if (type === "K") longLink = cString(meta);
      continue;
    }
    entries++;
    if (entries > limits.maxEntries) refuse(`more than ${limits.maxEntries} entries`);
    const prefix = cString(header.subarray(345, 500));
    const rawName = pax.path ?? longName ?? (prefix ? `${prefix}/` : "") + cString(header.subarray(0, 100));
    const linkTarget = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
    const dataSize = pax.size !== undefined ? Number(pax.size) : size;
    pax = {};
    longName = longLink = undefined;
    const name = safeName(rawName, refuse);
    if (name === undefined) {
      if (type !== "5") refuse(`an entry without a name`);
      continue;
    }
    if (links.some((l) => name === l.name || name.startsWith(`${l.name}/`))) {
      refuse(`${name} lies inside the symlink ${links.find((l) => name.startsWith(l.name))?.name}`);
    }
    const at = join(dest, ...name.split("/"));
    if (type === "0" || type === "\0" || type === "7") {
      bytes += dataSize;
      if (bytes > limits.maxBytes) refuse(`its files hold more than ${formatBytes(limits.maxBytes)}`);
      await folder(dirname(at), name);
      const mode = octal(header.subarray(100, 108), refuse) & 0o111 ? 0o755 : 0o644;
      const file = await open(at, "wx", mode).catch((e: NodeJS.ErrnoException) =>
        refuse(e.code === "EEXIST" ? `${name} appears twice` : `cannot write ${name} (${e.code})`),
      );
      try {
        await reader.copy(dataSize, file, `it is truncated (inside ${name})`);
      } finally {
        await file.close();
      }
      await reader.skip(pad(dataSize));
      files.add(name);
    } else if (type === "5") {
      await folder(at, name);
    } else if (type === "2") {
      if (!linkTarget || posix.isAbsolute(linkTarget))
        refuse(`the symlink ${name} -> ${linkTarget} is absolute`);
      const resolved = posix.normalize(posix.join(posix.dirname(name), linkTarget));
      if (resolved === ".." || resolved.startsWith("../")) {
        refuse(`the symlink ${name} -> ${linkTarget} points outside the archive's folder`);
      }
      links.push({ name, target: linkTarget });
      await reader.skip(dataSize + pad(dataSize));
    } else if (type === "1") {
      const target = safeName(linkTarget, refuse);
      if (target === undefined || !files.has(target)) {
        refuse(`the hard link ${name} -> ${linkTarget} does not name a file extracted before it`);
      }
      await folder(dirname(at), name);
      await copyFile(join(dest, ...(target as string).split("/")), at, 1).catch((e: NodeJS.ErrnoException) =>
        refuse(e.code === "EEXIST" ? `${name} appears twice` : `cannot write ${name} (${e.code})`),
      );
      files.add(name);
      await reader.skip(dataSize + pad(dataSize));
    } else {
      const kinds: Record<string, string> = {
        "3": "a character device",
        "4": "a block device",
        "6": "a FIFO",
      };
      refuse(`${name} is ${kinds[type] ?? `an entry of unknown type '${type}'`}`);
    }
  }
  reader.close();
  const root = await realpath(dest);
  for (const link of links) {
    const at = join(dest, ...link.name.split("/"));
    await folder(dirname(at), link.name);
    await symlink(link.target, at).catch((e: NodeJS.ErrnoException) =>
      refuse(e.code === "EEXIST" ? `${link.name} appears twice` : `cannot create ${link.name} (${e.code})`),
    );
  }
  for (const link of links) {
    const real = await realpath(join(dest, ...link.name.split("/"))).catch(() =>
      refuse(`the symlink ${link.name} -> ${link.target} points to nothing`),
    );
    const inside = relative(root, real);
    if (inside === ".." || inside.startsWith(`..${sep}`)) {
      refuse(`the symlink ${link.name} -> ${link.target} points outside the archive's folder`);
    }
  }
}

async function openArchive(archive: string): Promise<AsyncIterator<Buffer>> {
  const head = Buffer.alloc(2);
  const fd = await open(archive, "r");
  await fd.read(head, 0, 2, 0);
  await fd.close();
  const file = createReadStream(archive);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const stream = gzip ? file.pipe(createGunzip()) : file;
  if (gzip) file.on("error", (e) => stream.destroy(e));
  return stream[Symbol.asyncIterator]();
}

/** The entry name, checked; undefined for the archive's root folder (`./`). */
function safeName(raw: string, refuse: (why: string) => never): string | undefined {
  if (raw.includes("\0")) refuse("a name with a NUL byte");
  if (raw.startsWith("/")) refuse(`${raw} is an absolute path`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) refuse(`${raw} has a '..' segment`);
  return parts.length ? parts.join("/") : undefined;
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("utf8");
}

/** An octal number field, or GNU's base-256 form for large sizes. */
function octal(field: Buffer, refuse: (why: string) => never): number {
  if ((field[0] as number) & 0x80) {
    let n = 0;
    for (const [i, byte] of field.entries()) n = n * 256 + (i === 0 ? byte & 0x7f : byte);
    return n;
  }
  const text = cString(field).trim();
  if (text && !/^[0-7]+$/.test(text)) refuse("a corrupt tar header");
  return text ? Number.parseInt(text, 8) : 0;
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  const stored = cString(header.subarray(148, 156)).trim();
  return /^[0-7]+$/.test(stored) && Number.parseInt(stored, 8) === sum;
}

/** pax records: `<length> <key>=<value>\n`. */
function parsePax(meta: Buffer, refuse: (why: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < meta.length) {
    const space = meta.indexOf(0x20, at);
    const length = Number(meta.subarray(at, space).toString("ascii"));
    if (space < 0 || !Number.isInteger(length) || length <= 0 || at + length > meta.length) {
      refuse("a corrupt pax header");
    }
    const record = meta.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  if (out.size !== undefined && !/^\d+$/.test(out.size)) refuse("a corrupt pax size");
  return out;
}

/** Reads exact byte counts from a stream of chunks. */
class Reader {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly refuse: (why: string) => never,
  ) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.source.next();
    } catch (e) {
      return this.refuse(
        `it cannot be decompressed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value;
    return true;
  }

  async exact(n: number, short: string): Promise<Buffer> {
    while (this.buffer.length < n) if (!(await this.fill())) this.refuse(short);
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  async skip(n: number): Promise<void> {
    await this.exact(n, "it is truncated");
  }

  /** Copies `n` bytes into `file`, a chunk at a time. */
  async copy(n: number, file: FileHandle, short: string): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!this.buffer.length && !(await this.fill())) this.refuse(short);
      const piece = this.buffer.subarray(0, Math.min(left, this.buffer.length));
      this.buffer = this.buffer.subarray(piece.length);
      await file.write(piece);
      left -= piece.length;
    }
  }

  close(): void {
    void this.source.return?.();
  }
}
